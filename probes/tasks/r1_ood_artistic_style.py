"""R.1 OOD artistic style: caption photos and drawings rendered as sketches, paintings, cartoons, mosaics."""

from __future__ import annotations

from pathlib import Path

from probes.catalogue import Dimension, Modality, Sample, Task, register
from probes.tasks._render import builder, save_png
from probes.tasks._robust_common import ART_STYLES, SUBJECTS, subject_image

TASK = register(Task(
    id="R.1",
    name="OOD artistic style",
    dimension=Dimension.ROBUSTNESS,
    subdimension="out_of_distribution",
    modality=Modality.MM,
    scorer="caption_mentions",
    judge_prompt=(
        "You are grading an image description.\nDescription: {answer}\nDoes the description identify the "
        "main subject as a {target[subject]} (a synonym counts)? Reply with yes or no only."
    ),
    summary="Does the model still recognise the subject of an image rendered in an artistic style?",
    original_metric="GPT-4 judge: does the caption mention the object (rate of yes)",
    fidelity=(
        "12 subjects (8 photos bundled in scikit-image - cat, astronaut, coffee, rocket, horse silhouette, "
        "cameraman, coins, motorcycle - and 4 drawn objects: house, car, sailboat, tree) each rendered in 3 of 6 "
        "styles computed with numpy/Pillow (ink sketch, pencil, cartoon, oil paint, mosaic, halftone), instead of "
        "the original's generated artworks. The judge is replaced by a keyword match on a synonym list per "
        "subject; captions that describe the subject with words outside the list score 0."
    ),
))

PROMPT = "Describe this image in one sentence."
MAX_SIDE = 192
# Style order and per-subject offsets chosen so every style is used 6 times and each subject gets 3 different
# styles; the dark night-launch rocket photo gets the three styles that keep it recognisable.
STYLES = ("sketch", "mosaic", "oil_paint", "pencil", "cartoon", "halftone")
OFFSETS = (0, 1, 3)


@builder("R.1")
def build(out_dir: Path) -> list[Sample]:
    samples: list[Sample] = []
    for i, subject in enumerate(SUBJECTS.values()):
        clean = subject_image(subject.name, MAX_SIDE)
        for offset in OFFSETS:
            style = STYLES[(i + offset) % len(STYLES)]
            name = f"{subject.name}_{style}.png"
            save_png(ART_STYLES[style](clean), out_dir / name)
            samples.append(Sample(
                id=f"r1-{len(samples):03d}",
                prompt=PROMPT,
                image=name,
                target={"subject": subject.name, "keywords": list(subject.keywords), "style": style},
            ))
    return samples
