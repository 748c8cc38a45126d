"""Shared image sources and pixel transforms for the robustness tasks (R.1, R.2, R.4, R.5).

Subjects are photos bundled inside scikit-image's ``skimage.data`` (public domain / CC0 per its documentation,
loaded from the installed package - no download) and a few objects drawn here with Pillow. Every transform is a
pure function of its inputs and an explicit seed, so the shipped PNGs regenerate byte-identically.

The surrogate-model attack (:func:`pgd_attack`) imports torch and transformers only when called: importing this
module never needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from probes.tasks._render import font

EPS_INT = 16  # the L-infinity budget of the adversarial tasks, in 8-bit steps (16/255, as in the original)


@dataclass(frozen=True)
class Subject:
    name: str  # what the image shows, as a short label
    source: str  # "photo:<skimage.data function>" or "drawn:<kind>"
    keywords: tuple[str, ...]  # words whose mention counts as naming the subject (whole words, plural allowed)


# The subjects shared by R.1/R.4/R.5. Keywords are deliberately generous synonyms, never generic words such as
# "object" or "thing"; people-only words are avoided where the photo's point is the object (camera, not "man").
SUBJECTS: dict[str, Subject] = {s.name: s for s in (
    Subject("cat", "photo:chelsea", ("cat", "kitten", "kitty", "feline", "tabby")),
    Subject("astronaut", "photo:astronaut", ("astronaut", "spacesuit", "space suit", "cosmonaut")),
    Subject("coffee", "photo:coffee", ("coffee", "cup", "mug", "espresso", "latte", "cappuccino", "teacup")),
    Subject("rocket", "photo:rocket", ("rocket", "space shuttle", "spacecraft", "launch vehicle", "missile",
                                       "launch pad", "launchpad")),
    Subject("horse", "photo:horse", ("horse", "pony", "stallion", "mare", "foal", "equine")),
    Subject("camera", "photo:camera", ("camera", "tripod", "photographer", "cameraman")),
    Subject("coins", "photo:coins", ("coin", "money", "currency", "penny", "pennies", "cent")),
    Subject("motorcycle", "photo:motorcycle", ("motorcycle", "motorbike", "scooter", "moped", "motor bike")),
    Subject("house", "drawn:house", ("house", "home", "cottage", "cabin", "hut", "building")),
    Subject("car", "drawn:car", ("car", "automobile", "vehicle", "sedan", "hatchback")),
    Subject("sailboat", "drawn:sailboat", ("sailboat", "boat", "sailing", "yacht", "ship", "sail", "dinghy")),
    Subject("tree", "drawn:tree", ("tree", "oak", "forest")),
)}


# --- loading -----------------------------------------------------------------------------------------------


def _to_rgb(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == bool:
        arr = np.where(arr, 255, 0).astype(np.uint8)  # skimage's horse: False = silhouette -> black on white
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    return np.ascontiguousarray(arr[..., :3]).astype(np.uint8)


def load_photo(func: str) -> np.ndarray:
    """A photo from skimage.data as uint8 RGB (only needed when regenerating)."""
    import skimage.data

    raw: Any = getattr(skimage.data, "stereo_motorcycle" if func == "motorcycle" else func)()
    if func == "motorcycle":
        raw = raw[0]  # the left view of the stereo pair
    if func == "rocket":
        raw = raw[:, 150:500]  # the launch pad in the middle, as a portrait crop
    if func == "shepp_logan_phantom":
        raw = np.clip(raw * 255.0, 0, 255).astype(np.uint8)
    return _to_rgb(np.asarray(raw))


def fit(img: Image.Image, max_side: int) -> Image.Image:
    """Resize so the long side is ``max_side`` (LANCZOS), keeping the aspect ratio."""
    scale = max_side / max(img.size)
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.convert("RGB").resize(size, Image.Resampling.LANCZOS)


def _drawn(kind: str, size: int) -> Image.Image:
    """Simple object pictures on a sky/ground background; coordinates are on a 100-unit grid."""
    img = Image.new("RGB", (size, size), (150, 200, 240))
    d = ImageDraw.Draw(img)

    def s(*xy: float) -> list[float]:
        return [v * size / 100 for v in xy]

    if kind == "sailboat":
        d.rectangle(s(0, 62, 100, 100), fill=(30, 90, 170))
        d.polygon(s(20, 62, 80, 62, 72, 74, 28, 74), fill=(120, 60, 30))
        d.line(s(50, 62, 50, 12), fill=(60, 40, 20), width=max(2, size // 60))
        d.polygon(s(52, 14, 52, 58, 78, 58), fill=(250, 250, 245))
        d.polygon(s(48, 20, 48, 58, 26, 58), fill=(235, 235, 230))
        return img
    d.rectangle(s(0, 72, 100, 100), fill=(80, 160, 70))
    if kind == "house":
        d.rectangle(s(25, 45, 75, 80), fill=(200, 80, 60))
        d.polygon(s(18, 46, 50, 18, 82, 46), fill=(110, 50, 40))
        d.rectangle(s(44, 60, 56, 80), fill=(90, 55, 30))
        d.rectangle(s(30, 52, 40, 62), fill=(240, 230, 140))
        d.rectangle(s(60, 52, 70, 62), fill=(240, 230, 140))
        d.rectangle(s(64, 22, 70, 36), fill=(90, 90, 90))
    elif kind == "car":
        d.rectangle(s(0, 68, 100, 80), fill=(70, 70, 70))
        d.rounded_rectangle(s(12, 50, 88, 70), radius=size // 25, fill=(200, 30, 40))
        d.polygon(s(28, 50, 36, 36, 66, 36, 74, 50), fill=(200, 30, 40))
        d.polygon(s(33, 49, 39, 39, 49, 39, 49, 49), fill=(180, 220, 250))
        d.polygon(s(52, 49, 52, 39, 63, 39, 69, 49), fill=(180, 220, 250))
        for cx in (30, 70):
            d.ellipse(s(cx - 9, 62, cx + 9, 80), fill=(20, 20, 20))
            d.ellipse(s(cx - 4, 67, cx + 4, 75), fill=(170, 170, 170))
        d.rectangle(s(84, 55, 88, 59), fill=(250, 230, 120))
    elif kind == "tree":
        d.rectangle(s(45, 50, 55, 82), fill=(110, 70, 35))
        for cx, cy, r in ((50, 32, 22), (34, 44, 15), (66, 44, 15), (50, 48, 16)):
            d.ellipse(s(cx - r, cy - r, cx + r, cy + r), fill=(40, 130, 50))
    else:
        raise ValueError(f"unknown drawn subject {kind!r}")
    return img


def subject_image(name: str, max_side: int) -> Image.Image:
    """The clean picture of a subject (photo or drawing) with the long side ``max_side``."""
    source = SUBJECTS[name].source
    kind, _, ref = source.partition(":")
    if kind == "photo":
        return fit(Image.fromarray(load_photo(ref)), max_side)
    return _drawn(ref, max_side)


# --- artistic styles (R.1) --------------------------------------------------------------------------------


def _gray(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("L"), dtype=np.float64) / 255.0


def _edges(img: Image.Image) -> np.ndarray:
    """Sobel edge magnitude of the slightly blurred grey image, scaled to [0, 1]."""
    from scipy import ndimage

    g = ndimage.gaussian_filter(_gray(img), 1.0)
    mag = np.hypot(ndimage.sobel(g, axis=0), ndimage.sobel(g, axis=1))
    return np.clip(mag / (np.percentile(mag, 99) + 1e-9), 0.0, 1.0)


def _u8(arr: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(np.rint(arr * 255.0), 0, 255).astype(np.uint8))


def style_sketch(img: Image.Image) -> Image.Image:
    """Black ink lines on white paper (thresholded edges)."""
    e = _edges(img)
    ink = np.where(e > 0.35, 0.0, 1.0)
    return _u8(ink).convert("RGB")


def style_pencil(img: Image.Image) -> Image.Image:
    """Grey pencil drawing: colour-dodge of the grey image with its blurred negative, posterised to 8 tones."""
    from scipy import ndimage

    g = _gray(img)
    blur = ndimage.gaussian_filter(1.0 - g, 3.0)
    dodge = np.clip(g / np.maximum(1.0 - blur, 1e-3), 0.0, 1.0)
    return _u8(np.round(dodge ** 2 * 7) / 7).convert("RGB")


def style_cartoon(img: Image.Image) -> Image.Image:
    """Flat colours (median filter, 4 levels per channel) with dark outlines."""
    flat = np.asarray(img.filter(ImageFilter.MedianFilter(5)), dtype=np.float64) / 255.0
    flat = np.round(flat * 3) / 3
    lines = (_edges(img) > 0.4)[..., None]
    return _u8(np.where(lines, 0.08, flat))


def style_oil(img: Image.Image) -> Image.Image:
    """Oil-paint-like: mode filter (thick strokes), a 12-colour palette and a canvas weave."""
    painted = img.filter(ImageFilter.ModeFilter(7)).filter(ImageFilter.SMOOTH_MORE)
    flat = painted.quantize(12, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).convert("RGB")
    yy, xx = np.mgrid[0:img.height, 0:img.width]
    weave = 0.035 * (np.sin(xx * 2 * np.pi / 4) * np.sin(yy * 2 * np.pi / 4))
    return _u8(np.asarray(flat, dtype=np.float64) / 255.0 * 0.94 + 0.03 + weave[..., None])


def style_mosaic(img: Image.Image) -> Image.Image:
    """Tile mosaic: 8-pixel blocks of the mean colour separated by grout lines."""
    block = 8
    small = img.resize((max(1, img.width // block), max(1, img.height // block)), Image.Resampling.BOX)
    big = np.array(small.resize((small.width * block, small.height * block), Image.Resampling.NEAREST))
    big[::block, :, :] = 235
    big[:, ::block, :] = 235
    return Image.fromarray(big)


def style_halftone(img: Image.Image) -> Image.Image:
    """Newspaper halftone: black dots whose size follows the darkness of each 4-pixel cell."""
    cell = 4
    g = _gray(img)
    out = Image.new("RGB", img.size, (250, 248, 240))
    d = ImageDraw.Draw(out)
    for y in range(0, img.height, cell):
        for x in range(0, img.width, cell):
            dark = 1.0 - float(g[y:y + cell, x:x + cell].mean())
            r = dark * cell * 0.62
            if r > 0.4:
                cx, cy = x + cell / 2, y + cell / 2
                d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(20, 20, 20))
    return out


ART_STYLES = {
    "sketch": style_sketch, "pencil": style_pencil, "cartoon": style_cartoon,
    "oil_paint": style_oil, "mosaic": style_mosaic, "halftone": style_halftone,
}


# --- sensor styles (R.2) ----------------------------------------------------------------------------------

_HEAT_STOPS = np.array([[0, 0, 0], [40, 10, 90], [150, 20, 120], [225, 60, 40], [250, 160, 20], [255, 250, 200]],
                       dtype=np.float64) / 255.0


def heat_colormap(v: np.ndarray) -> np.ndarray:
    """Map [0, 1] to a black-purple-red-yellow-white false-colour palette."""
    pos = np.clip(v, 0.0, 1.0) * (len(_HEAT_STOPS) - 1)
    lo = np.floor(pos).astype(int).clip(0, len(_HEAT_STOPS) - 2)
    t = (pos - lo)[..., None]
    return _HEAT_STOPS[lo] * (1 - t) + _HEAT_STOPS[lo + 1] * t


def sensor_thermal(img: Image.Image) -> Image.Image:
    """Thermal camera look: blurred luminance through a heat palette, at a coarse sensor resolution."""
    from scipy import ndimage

    g = ndimage.gaussian_filter(_gray(img), 1.5)
    g = (g - g.min()) / (np.ptp(g) + 1e-9)
    out = _u8(heat_colormap(g))
    small = out.resize((out.width // 2, out.height // 2), Image.Resampling.BOX)
    return small.resize(out.size, Image.Resampling.NEAREST)


def sensor_xray(img: Image.Image) -> Image.Image:
    """X-ray-like: inverted grey image with boosted edges, cold blue-white tint on black."""
    g = 1.0 - _gray(img)
    v = np.clip(0.55 * g + 0.8 * _edges(img), 0.0, 1.0) ** 1.3
    v = np.round(v * 15) / 15  # film-like tone steps (also keeps the PNG small)
    tint = np.array([0.82, 0.93, 1.0])
    return _u8(v[..., None] * tint)


def sensor_lowlight(img: Image.Image, seed: int) -> Image.Image:
    """Night shot: strong underexposure, a green-blue cast and seeded sensor noise (2x2-pixel grains)."""
    rs = np.random.RandomState(seed)
    a = np.asarray(img, dtype=np.float64) / 255.0
    h, w = a.shape[:2]
    dark = (a ** 1.5) * np.array([0.30, 0.34, 0.36])
    grains = rs.normal(0.0, 0.02, size=(-(-h // 2), -(-w // 2), 1))
    noise = np.repeat(np.repeat(grains, 2, axis=0), 2, axis=1)[:h, :w]
    return _u8(dark + noise)


# --- adversarial perturbations (R.4, R.5) ----------------------------------------------------------------


def apply_delta(base: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """``base`` (uint8) plus an integer perturbation clipped to the L-infinity budget and to [0, 255]."""
    d = np.clip(np.rint(delta), -EPS_INT, EPS_INT).astype(np.int16)
    return np.clip(base.astype(np.int16) + d, 0, 255).astype(np.uint8)


def adversarial_base(img: Image.Image) -> np.ndarray:
    """The clean reference of an adversarial sample: uint8 RGB quantised to 64 levels per channel (steps of 4,
    centred), which keeps the perturbed PNGs small; the L-infinity bound is measured against this array."""
    arr = np.asarray(img.convert("RGB"), dtype=np.uint8)
    return (arr // 4 * 4 + 2).astype(np.uint8)


def fallback_untargeted(base: np.ndarray, kind: str, seed: int) -> np.ndarray:
    """A surrogate-free L-infinity perturbation of ``base`` (uint8 HxWx3), |adv - base| <= 16 everywhere.

    kinds: ``sign_noise`` (independent random +/-16 per pixel, same on the three channels), ``block_noise``
    (random +/-16 per 4x4 block, same on the three channels), ``grating`` (a +/-16 square-wave grating of period
    3-5 px at a random angle, with a random phase per channel, so it is coloured), ``checker`` (a 2-px
    checkerboard with a random sign per channel).
    """
    rs = np.random.RandomState(seed)
    h, w, c = base.shape
    if kind == "sign_noise":
        delta = np.repeat(rs.choice([-1.0, 1.0], size=(h, w, 1)), c, axis=2)
    elif kind == "block_noise":
        b = 4
        coarse = rs.choice([-1.0, 1.0], size=(-(-h // b), -(-w // b), 1))
        delta = np.repeat(np.repeat(np.repeat(coarse, b, axis=0), b, axis=1)[:h, :w], c, axis=2)
    elif kind == "grating":
        period = rs.uniform(3.0, 5.0)
        angle = rs.uniform(0.0, np.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
        proj = (xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period
        phases = rs.uniform(0.0, 2 * np.pi, size=c)
        delta = np.sign(np.sin(proj[..., None] + phases)) + 0.0
        delta[delta == 0] = 1.0
    elif kind == "checker":
        yy, xx = np.mgrid[0:h, 0:w]
        board = np.where(((yy // 2) + (xx // 2)) % 2 == 0, 1.0, -1.0)
        delta = board[..., None] * rs.choice([-1.0, 1.0], size=c)
    else:
        raise ValueError(f"unknown perturbation {kind!r}")
    return apply_delta(base, delta * EPS_INT)


UNTARGETED_KINDS: tuple[str, ...] = ("sign_noise", "block_noise", "grating", "checker")


def fallback_targeted(base: np.ndarray, word: str, seed: int) -> np.ndarray:
    """A surrogate-free perturbation toward ``word``: the word tiled over the image as a faint +/-16 change
    (darker on bright pixels, brighter on dark ones; rows offset by a seeded shift); |adv - base| <= 16."""
    rs = np.random.RandomState(seed)
    h, w, _ = base.shape
    mask_img = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(mask_img)
    fnt = font(18)
    step_x = int(fnt.getlength(word.upper() + "  ")) + 4
    offset = rs.randint(0, step_x)
    for row, y in enumerate(range(-4, h, 24)):
        shift = (offset + row * step_x // 2) % step_x
        for x in range(-shift, w, step_x):
            d.text((x, y), word.upper(), font=fnt, fill=255)
    mask = np.asarray(mask_img, dtype=np.float64)[..., None] / 255.0
    lum = base.astype(np.float64).mean(axis=2, keepdims=True)
    direction = np.where(lum > 127, -1.0, 1.0)
    delta = mask * direction * EPS_INT
    return apply_delta(base, delta)


def _input_side(size: Any) -> int:
    """The square input side of a processor's ``size``/``crop_size`` (int, dict or transformers SizeDict)."""
    if isinstance(size, int):
        return size
    for key in ("height", "shortest_edge", "width"):
        value = size.get(key) if isinstance(size, dict) else getattr(size, key, None)
        if value:
            return int(value)
    return 224


def pgd_attack(image: Image.Image, surrogate_dir: str | Path, *, eps: float = 16 / 255, steps: int = 50,
               step_size: float | None = None, target_text: str | None = None, seed: int = 0) -> Image.Image:
    """Projected gradient descent against a local transformers vision model (torch imported lazily).

    ``surrogate_dir`` is a model directory loadable offline with ``AutoModel``/``AutoImageProcessor``:
    * a CLIP-like model (has ``get_image_features``): untargeted = push the image embedding away from the clean
      one (minimise cosine similarity); targeted = pull it toward the text embedding of
      ``"a photo of a <target_text>"`` (needs the tokenizer in the same directory);
    * an image classifier (``AutoModelForImageClassification``): untargeted = raise the loss of the clean
      prediction; targeted = lower the loss of the class whose label contains ``target_text``.
    The perturbation is bounded by ``eps`` in L-infinity on the [0, 1] pixel scale, applied at the input
    resolution (the surrogate's resize and normalisation are done differentiably), and the result is
    rounded to 8 bits with the bound kept.
    """
    import torch
    import torch.nn.functional as F
    from transformers import AutoConfig, AutoImageProcessor

    torch.manual_seed(seed)
    src = Path(surrogate_dir)
    config = AutoConfig.from_pretrained(src, local_files_only=True)
    proc = AutoImageProcessor.from_pretrained(src, local_files_only=True)
    mean = torch.tensor(getattr(proc, "image_mean", [0.5, 0.5, 0.5]), dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(getattr(proc, "image_std", [0.5, 0.5, 0.5]), dtype=torch.float32).view(1, 3, 1, 1)
    size = getattr(proc, "crop_size", None) or getattr(proc, "size", None) or {"height": 224, "width": 224}
    side = _input_side(size)

    is_clip = "clip" in (config.model_type or "") or hasattr(config, "vision_config")
    model: Any
    if is_clip:
        from transformers import AutoModel

        model = AutoModel.from_pretrained(src, local_files_only=True)
    else:
        from transformers import AutoModelForImageClassification

        model = AutoModelForImageClassification.from_pretrained(src, local_files_only=True)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)

    base_u8 = np.asarray(image.convert("RGB"), dtype=np.uint8)
    x0 = torch.from_numpy(base_u8.astype(np.float32) / 255.0).permute(2, 0, 1).unsqueeze(0)

    def prep(x: Any) -> Any:
        return (F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False) - mean) / std

    def image_feat(x: Any) -> Any:
        out = model.get_image_features(pixel_values=prep(x))
        out = out if isinstance(out, torch.Tensor) else out.pooler_output
        return F.normalize(out, dim=-1)

    with torch.no_grad():
        if is_clip:
            anchor = image_feat(x0)
            if target_text is not None:
                from transformers import AutoTokenizer

                tok = AutoTokenizer.from_pretrained(src, local_files_only=True)
                ids = tok([f"a photo of a {target_text}"], return_tensors="pt", padding=True)
                t = model.get_text_features(**ids)
                t = t if isinstance(t, torch.Tensor) else t.pooler_output
                anchor = F.normalize(t, dim=-1)
        else:
            logits0 = model(pixel_values=prep(x0)).logits
            if target_text is None:
                label = int(logits0.argmax(-1))
            else:
                names = {int(k): str(v).lower() for k, v in config.id2label.items()}
                hits = [k for k, v in names.items() if target_text.lower() in v]
                if not hits:
                    raise ValueError(f"no surrogate class label contains {target_text!r}")
                label = hits[0]

    alpha = step_size if step_size is not None else max(eps / 8, 1 / 255)
    delta = (torch.rand_like(x0) * 2 - 1) * eps
    for _ in range(steps):
        delta.requires_grad_(True)
        x = (x0 + delta).clamp(0, 1)
        if is_clip:
            sim = (image_feat(x) * anchor).sum()
            loss = sim if target_text is not None else -sim  # ascend: toward the text / away from clean
        else:
            ce = F.cross_entropy(model(pixel_values=prep(x)).logits, torch.tensor([label]))
            loss = -ce if target_text is not None else ce
        (grad,) = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            delta = (delta + alpha * grad.sign()).clamp(-eps, eps)
            delta = (x0 + delta).clamp(0, 1) - x0
    adv = (x0 + delta.detach()).clamp(0, 1)[0].permute(1, 2, 0).numpy()
    adv_u8 = np.rint(adv * 255.0)
    eps_int = int(np.floor(eps * 255 + 1e-6))
    out = np.clip(adv_u8 - base_u8, -eps_int, eps_int) + base_u8
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


# --- procedural top views (R.2 remote sensing) ----------------------------------------------------------

AERIAL_KINDS: tuple[str, ...] = ("river", "town", "runway", "forest", "parking", "harbour", "crop_circles",
                                 "bridge")


def _speckle(img: Image.Image, rs: np.random.RandomState, amount: float) -> Image.Image:
    """Coarse (4-px) ground texture so the views are not perfectly flat."""
    h, w = img.height, img.width
    tex = rs.normal(0.0, amount, size=(-(-h // 4), -(-w // 4), 1))
    tex = np.repeat(np.repeat(tex, 4, axis=0), 4, axis=1)[:h, :w]
    return _u8(np.asarray(img, dtype=np.float64) / 255.0 + tex)


def aerial(kind: str, size: int, seed: int) -> Image.Image:
    """A satellite-like top view of a scene of ``kind`` (see AERIAL_KINDS), drawn from ``seed``."""
    rs = np.random.RandomState(seed)
    img = Image.new("RGB", (size, size), (96, 128, 70))
    d = ImageDraw.Draw(img)
    u = size / 100

    def fields() -> None:
        for x in range(0, 100, 20):
            for y in range(0, 100, 25):
                shade = [(110, 140, 70), (150, 150, 80), (90, 120, 60), (170, 150, 100)][rs.randint(4)]
                d.rectangle((x * u, y * u, (x + 20) * u - 1, (y + 25) * u - 1), fill=shade)

    if kind in ("river", "bridge"):
        fields()
        ys = np.linspace(-5, 105, 60)
        amp, phase = rs.uniform(8, 16), rs.uniform(0, 2 * np.pi)
        pts = [((50 + amp * np.sin(y / 15 + phase)) * u, y * u) for y in ys]
        d.line(pts, fill=(40, 80, 150), width=int(9 * u))
        if kind == "bridge":
            y = rs.randint(35, 65)
            d.rectangle((0, (y - 3) * u, size, (y + 3) * u), fill=(120, 120, 120))
            d.rectangle((0, (y - 0.4) * u, size, (y + 0.4) * u), fill=(230, 230, 230))
    elif kind == "town":
        d.rectangle((0, 0, size, size), fill=(170, 170, 165))
        for x in range(0, 100, 25):
            for y in range(0, 100, 25):
                for bx in range(2):
                    for by in range(2):
                        colour = [(180, 80, 60), (200, 190, 170), (120, 110, 110), (160, 60, 50)][rs.randint(4)]
                        x0, y0 = x + 5 + bx * 9, y + 5 + by * 9
                        d.rectangle((x0 * u, y0 * u, (x0 + 7) * u, (y0 + 7) * u), fill=colour)
                d.rectangle(((x + 22) * u, y * u, (x + 25) * u, (y + 25) * u), fill=(80, 80, 80))
                d.rectangle((x * u, (y + 22) * u, (x + 25) * u, (y + 25) * u), fill=(80, 80, 80))
    elif kind == "runway":
        fields()
        d.polygon([(8 * u, 30 * u), (92 * u, 58 * u), (90 * u, 68 * u), (6 * u, 40 * u)], fill=(70, 70, 72))
        for t in np.linspace(0.1, 0.9, 9):
            x, y = (8 + 83 * t) * u, (35 + 28 * t) * u
            d.line((x - 2.5 * u, y - 0.8 * u, x + 2.5 * u, y + 0.8 * u), fill=(240, 240, 240), width=max(1, int(u)))
        d.rectangle((20 * u, 72 * u, 60 * u, 86 * u), fill=(150, 150, 150))
        for px in (28, 44):  # two parked aircraft
            d.polygon([(px * u, 74 * u), ((px + 1.5) * u, 84 * u), ((px - 1.5) * u, 84 * u)], fill=(245, 245, 245))
            d.line(((px - 5) * u, 79 * u, (px + 5) * u, 79 * u), fill=(245, 245, 245), width=max(1, int(1.5 * u)))
    elif kind == "forest":
        d.rectangle((0, 0, size, size), fill=(40, 70, 35))
        for _ in range(260):
            fx, fy, r = rs.uniform(0, 100), rs.uniform(0, 100), rs.uniform(2.5, 5.5)
            g = rs.randint(70, 130)
            d.ellipse(((fx - r) * u, (fy - r) * u, (fx + r) * u, (fy + r) * u), fill=(25, g, 35))
        d.line([(0, 80 * u), (40 * u, 60 * u), (100 * u, 70 * u)], fill=(150, 120, 80), width=int(2 * u))
    elif kind == "parking":
        d.rectangle((0, 0, size, size), fill=(75, 75, 78))
        for row in range(4):
            y = 8 + row * 23
            d.line((4 * u, (y + 10) * u, 96 * u, (y + 10) * u), fill=(220, 220, 220), width=max(1, int(0.6 * u)))
            for col in range(9):
                if rs.rand() < 0.8:
                    x = 6 + col * 10
                    colour = [(200, 30, 30), (230, 230, 230), (30, 60, 160), (20, 20, 20), (200, 200, 40)][
                        rs.randint(5)]
                    d.rounded_rectangle((x * u, y * u, (x + 5) * u, (y + 9) * u), radius=max(1, int(u)),
                                        fill=colour)
    elif kind == "harbour":
        d.rectangle((0, 0, size, size), fill=(30, 70, 120))
        d.rectangle((0, 0, 100 * u, 18 * u), fill=(170, 160, 140))
        for x in (25, 55, 80):
            d.rectangle((x * u, 18 * u, (x + 4) * u, 60 * u), fill=(150, 130, 100))
        for _ in range(9):
            hx, hy = rs.uniform(5, 92), rs.uniform(25, 92)
            d.polygon([(hx * u, hy * u), ((hx + 8) * u, hy * u), ((hx + 11) * u, (hy + 1.5) * u),
                       ((hx + 8) * u, (hy + 3) * u), (hx * u, (hy + 3) * u)], fill=(245, 245, 245))
    elif kind == "crop_circles":
        d.rectangle((0, 0, size, size), fill=(175, 150, 110))
        for cx in (25, 75):
            for cy in (25, 75):
                r = rs.uniform(18, 23)
                g = rs.randint(110, 170)
                d.ellipse(((cx - r) * u, (cy - r) * u, (cx + r) * u, (cy + r) * u), fill=(60, g, 50))
                d.line((cx * u, cy * u, (cx + r) * u, cy * u), fill=(200, 200, 200), width=max(1, int(0.7 * u)))
    else:
        raise ValueError(f"unknown aerial scene {kind!r}")
    return _speckle(img, rs, 0.025)
