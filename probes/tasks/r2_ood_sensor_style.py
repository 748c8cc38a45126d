"""R.2 OOD sensor style: short questions about thermal, X-ray-like, low-light, microscope/medical and
satellite-like images."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from probes.catalogue import Dimension, Modality, Sample, Task, register
from probes.tasks._render import builder, save_png
from probes.tasks._robust_common import (
    AERIAL_KINDS,
    SUBJECTS,
    aerial,
    fit,
    load_photo,
    sensor_lowlight,
    sensor_thermal,
    sensor_xray,
    subject_image,
)

TASK = register(Task(
    id="R.2",
    name="OOD sensor style",
    dimension=Dimension.ROBUSTNESS,
    subdimension="out_of_distribution",
    modality=Modality.MM,
    scorer="caption_mentions",
    judge_prompt=(
        "You are grading an image description.\nDescription: {answer}\nDoes the description identify the "
        "main subject as a {target[subject]} (a synonym counts)? Reply with yes or no only."
    ),
    summary="Can the model answer simple questions about images from unusual sensors (thermal, X-ray, night, "
            "microscope, satellite)?",
    original_metric="GPT-4 judge score 0-100 per answer, averaged",
    fidelity=(
        "40 questions: 28 on the 12 shared subjects rendered with numpy as thermal false colour, inverted X-ray-"
        "like edges or an underexposed noisy night shot; 4 on scientific images bundled in scikit-image (retina "
        "fundus photo, Shepp-Logan head phantom, immunohistochemistry slide, a cell under a microscope); 8 on "
        "procedural satellite-like top views (river, town, airport, forest, car park, harbour, irrigated fields, "
        "bridge). Not the original's real infrared, medical and remote-sensing data sets. The 0-100 judge is "
        "replaced by a binary keyword match against a synonym list of the expected answer, so partially right "
        "answers the judge would credit score 0 unless they contain an accepted word."
    ),
))

MAX_SIDE = 144
SUFFIX = " Answer in a few words."
SENSORS = ("thermal", "xray", "lowlight")
N_SENSOR_SAMPLES = 28

# subject -> (question, accepted answer words)
SUBJECT_QUESTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "cat": ("What animal is in this image?", SUBJECTS["cat"].keywords),
    "horse": ("What animal is in this image?", SUBJECTS["horse"].keywords),
    "astronaut": ("What is the person in this image dressed as?",
                  ("astronaut", "spacesuit", "space suit", "cosmonaut", "space explorer")),
    "camera": ("What device is the person in this image using?", ("camera", "video camera", "film camera")),
    "coffee": ("What drink is shown in this image?", ("coffee", "espresso", "latte", "cappuccino", "americano")),
    "rocket": ("What kind of vehicle is shown in this image?",
               ("rocket", "space shuttle", "spacecraft", "launch vehicle", "missile")),
    "motorcycle": ("What kind of vehicle is shown in this image?", SUBJECTS["motorcycle"].keywords),
    "car": ("What kind of vehicle is shown in this image?", ("car", "automobile", "sedan", "hatchback", "coupe")),
    "house": ("What kind of building is shown in this image?", ("house", "home", "cottage", "cabin", "hut")),
    "coins": ("What are the round objects in this image?", ("coin", "money", "currency", "penny", "pennies")),
    "sailboat": ("What kind of vessel is shown in this image?",
                 ("sailboat", "boat", "yacht", "ship", "dinghy", "sailing")),
    "tree": ("What kind of plant is shown in this image?", ("tree", "oak")),
}

# skimage.data function -> (question, accepted answer words)
MEDICAL: dict[str, tuple[str, tuple[str, ...]]] = {
    "retina": ("Which part of the human body does this medical image show?",
               ("eye", "retina", "retinal", "fundus", "ocular", "optic disc")),
    "shepp_logan_phantom": ("Which part of the body does this scan-like image represent?",
                            ("head", "brain", "skull", "cranial", "cerebral", "shepp-logan")),
    "immunohistochemistry": ("What kind of biological sample is shown in this microscope image?",
                             ("tissue", "cell", "cellular", "histology", "histological", "biopsy", "nuclei",
                              "nucleus")),
    "cell": ("What is shown in this microscope image?",
             ("cell", "cellular", "microorganism", "amoeba", "bacterium", "bacteria", "protozoan", "protist")),
}

AERIAL_QUESTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "river": ("What is the winding blue line that crosses this aerial view?",
              ("river", "stream", "creek", "waterway", "canal")),
    "town": ("What fills the blocks between the roads in this aerial view?",
             ("building", "house", "home", "roof", "rooftop", "residential", "apartment")),
    "runway": ("What kind of facility is shown in this aerial view?",
               ("airport", "runway", "airfield", "airstrip", "aerodrome", "air base", "airbase")),
    "forest": ("What covers most of the land in this aerial view?",
               ("forest", "tree", "woodland", "woods", "vegetation", "canopy", "jungle")),
    "parking": ("What are the small coloured rectangles arranged in rows in this aerial view?",
                ("car", "vehicle", "automobile")),
    "harbour": ("What are the small white shapes on the water in this aerial view?",
                ("boat", "ship", "yacht", "vessel", "sailboat", "motorboat")),
    "crop_circles": ("What are the large green circles in this aerial view used for?",
                     ("farming", "agriculture", "agricultural", "crop", "irrigation", "irrigated", "farm",
                      "farmland", "cultivation")),
    "bridge": ("What structure crosses the river in this aerial view?",
               ("bridge", "overpass", "road", "highway", "causeway")),
}


def _sensor_image(subject: str, sensor: str, seed: int) -> Image.Image:
    clean = subject_image(subject, MAX_SIDE)
    if sensor == "thermal":
        return sensor_thermal(clean)
    if sensor == "xray":
        return sensor_xray(clean)
    return sensor_lowlight(clean, seed)


@builder("R.2")
def build(out_dir: Path) -> list[Sample]:
    samples: list[Sample] = []

    def add(name: str, img: Image.Image, question: str, keywords: tuple[str, ...], sensor: str,
            subject: str) -> None:
        save_png(img, out_dir / name)
        samples.append(Sample(
            id=f"r2-{len(samples):03d}",
            prompt=question + SUFFIX,
            image=name,
            target={"subject": subject, "keywords": list(keywords), "sensor": sensor},
        ))

    names = list(SUBJECT_QUESTIONS)
    for k in range(N_SENSOR_SAMPLES):
        subject = names[k % len(names)]
        sensor = SENSORS[(k // len(names) + k) % len(SENSORS)]  # each subject seen by 2-3 different sensors
        question, keywords = SUBJECT_QUESTIONS[subject]
        add(f"{sensor}_{subject}.png", _sensor_image(subject, sensor, seed=1000 + k), question, keywords,
            sensor, subject)
    for func, (question, keywords) in MEDICAL.items():
        img = fit(Image.fromarray(load_photo(func)), MAX_SIDE)
        img = img.quantize(64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).convert("RGB")
        add(f"medical_{func}.png", img, question, keywords, "medical", func)
    for k, kind in enumerate(AERIAL_KINDS):
        question, keywords = AERIAL_QUESTIONS[kind]
        add(f"aerial_{kind}.png", aerial(kind, MAX_SIDE, seed=2000 + k), question, keywords, "aerial", kind)
    return samples
