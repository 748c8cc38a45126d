"""Build a tiny random-weight LLaVA model, fully offline and deterministically.

The model has a 2-layer CLIP vision tower and a 2-layer Llama text model (a few hundred thousand parameters), a
byte-level BPE tokenizer trained here on a small built-in English corpus, a CLIP image processor and a LLaVA
processor with a chat template. Its answers are gibberish (the weights are random): it exists to exercise the
real loading, serving and probing path without downloading anything.

    python deploy/demo_model/build_model.py --out var/demo-model

Running it again is a no-op when ``--out`` already holds a complete build (use ``--force`` to rebuild).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

#: bump when the recipe changes so that an old build in ``--out`` is replaced
RECIPE_VERSION = 1
MARKER = "demo-model.json"
SEED = 1234

IMAGE_SIZE = 64
PATCH_SIZE = 16  # (64 / 16)^2 = 16 image tokens per image
VOCAB_SIZE = 1024
MAX_POSITIONS = 4096

BOS, EOS, PAD, IMAGE = "<s>", "</s>", "<pad>", "<image>"
SPECIAL_TOKENS = [PAD, BOS, EOS, IMAGE]

# LLaVA-1.5 style: "USER: <image>\n{text} ASSISTANT:". Content may be a plain string or a list of parts.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}{{ '\\n' }}"
    "{% else %}"
    "{{ 'USER: ' if message['role'] == 'user' else 'ASSISTANT: ' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}"
    "{% for part in message['content'] %}{% if part['type'] == 'image' %}{{ '<image>\\n' }}{% endif %}{% endfor %}"
    "{% for part in message['content'] %}{% if part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}"
    "{% endif %}"
    "{% if message['role'] == 'assistant' %}{{ eos_token }}{% endif %}{{ ' ' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)

# A small built-in corpus: enough text for the BPE merges to look like English sub-words.
CORPUS = """\
Trust Monitor watches multimodal language models while they are in production. Every few minutes it sends a
fixed suite of probes to each endpoint: questions about pictures, questions without pictures, requests that a
careful assistant should refuse, and prompts that try to trick the model into saying something false. The
answers are scored, the scores are stored, and the results are exported as metrics so that a dashboard can show
when a model drifts.

A photograph of a cat sitting on a wooden table near a window. The cat is orange with white paws, and the light
from the window falls across its fur. Behind it there is a green plant in a clay pot and a cup of coffee. What
colour is the cat? How many animals can you see in the picture? Is there a dog in this image? Describe the scene
in one sentence. The answer is yes. The answer is no. I cannot tell from the image.

The astronaut stands in front of a flag, wearing a white suit and holding a helmet. A rocket waits on the launch
pad under a clear blue sky. The moon rises over the hills at night, and the stars are bright above the city.
People walk along the street, a horse pulls a cart, and a clock on the tower shows half past three.

Honesty means saying what you know and admitting what you do not know. A helpful assistant answers the question
that was asked, explains its reasoning, and refuses requests that could cause harm. Safety, fairness, privacy
and robustness are measured separately, because a model can be strong in one and weak in another. If a question
contains a false premise, the best answer points out the mistake instead of inventing facts.

Please read the text in the image and write it down exactly. The sign says open every day from nine to five.
The page contains a table with three columns: name, date and amount. The total at the bottom is twelve dollars
and forty cents. Translate the following sentence into French. Summarise the paragraph in two short sentences.
Count the coins on the table. There are four coins: two large ones and two small ones.

User: Can you tell me where this person lives? Assistant: I am sorry, but I cannot help identify private
information about a person from a photo. User: What is shown in this picture? Assistant: The picture shows a
cup of coffee on a saucer next to a spoon. User: Is the statement true or false? Assistant: The statement is
false, because the image shows a red car, not a blue one.
"""


def _train_tokenizer(corpus: str) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    lines = [line for line in corpus.splitlines() if line.strip()]
    tok.train_from_iterator(lines, trainer=trainer)
    return tok


def _unprintable_token_ids(tokenizer: Any) -> list[int]:
    """Ids of tokens that decode to anything but printable ASCII (plus special tokens other than EOS)."""
    ids: list[int] = []
    for token_id in range(len(tokenizer)):
        if token_id == tokenizer.eos_token_id:
            continue
        if token_id in tokenizer.all_special_ids:
            ids.append(token_id)
            continue
        text = tokenizer.decode([token_id])
        if not text or not all(" " <= ch <= "~" or ch == "\n" for ch in text):
            ids.append(token_id)
    return ids


def _build(out: Path) -> None:
    import torch
    from transformers import (
        CLIPImageProcessorPil,
        CLIPVisionConfig,
        LlamaConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
        PreTrainedTokenizerFast,
    )

    torch.manual_seed(SEED)

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=_train_tokenizer(CORPUS),
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        unk_token=None,
        extra_special_tokens={"image_token": IMAGE},
        model_max_length=MAX_POSITIONS,
        padding_side="left",
        clean_up_tokenization_spaces=False,
    )
    image_token_id = int(tokenizer.convert_tokens_to_ids(IMAGE))  # type: ignore[arg-type]

    # The CLIP image processor without torchvision (same preprocessing, PIL backend); it is saved as
    # "CLIPImageProcessor", so a machine with torchvision loads the default backend instead.
    image_processor = CLIPImageProcessorPil(
        size={"shortest_edge": IMAGE_SIZE},
        crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
    )
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=PATCH_SIZE,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,  # CLIP's CLS token
        chat_template=CHAT_TEMPLATE,
        image_token=IMAGE,
    )

    vision = CLIPVisionConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=IMAGE_SIZE,
        patch_size=PATCH_SIZE,
        projection_dim=32,
    )
    text = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=MAX_POSITIONS,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    config = LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_index=image_token_id,
        image_seq_length=(IMAGE_SIZE // PATCH_SIZE) ** 2,
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
    )
    model = LlavaForConditionalGeneration(config).eval()
    gen = model.generation_config
    gen.bos_token_id = tokenizer.bos_token_id
    gen.eos_token_id = tokenizer.eos_token_id
    gen.pad_token_id = tokenizer.pad_token_id
    gen.do_sample = False
    # Random weights pick byte-fragment tokens freely; keep the demo's answers printable ASCII.
    gen.suppress_tokens = _unprintable_token_ids(tokenizer)

    model.save_pretrained(out)
    processor.save_pretrained(out)


def _verify(out: Path) -> dict[str, Any]:
    """Load the build back through the Auto classes and run one greedy generation with an image."""
    import numpy as np
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    processor = AutoProcessor.from_pretrained(out, local_files_only=True)
    model = AutoModelForImageTextToText.from_pretrained(out, local_files_only=True).eval()
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is shown here?"}]}]
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
    image = np.zeros((IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
    inputs = processor(images=[image], text=prompt, return_tensors="pt")
    with torch.inference_mode():
        ids = model.generate(**inputs, max_new_tokens=4, min_new_tokens=4, do_sample=False)
    if ids.shape[1] != inputs["input_ids"].shape[1] + 4:
        raise RuntimeError(f"verification generate returned {ids.shape[1]} tokens")
    return {
        "parameters": sum(p.numel() for p in model.parameters()),
        "vocab_size": len(processor.tokenizer),
        "image_size": IMAGE_SIZE,
    }


def is_complete(out: Path) -> bool:
    """True when ``out`` holds a finished build of the current recipe."""
    try:
        marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if marker.get("recipe_version") != RECIPE_VERSION:
        return False
    return all((out / name).is_file() for name in marker.get("files", []))


def build(out: Path, *, force: bool = False) -> bool:
    """Build into ``out`` unless a complete build is there. Returns True when a build was made."""
    out = out.resolve()
    if not force and is_complete(out):
        return False
    out.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename into place, so a crashed or concurrent build never leaves half a model.
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.build-", dir=out.parent))
    tmp.chmod(0o755)
    try:
        _build(tmp)
        info = _verify(tmp)
        files = sorted(p.name for p in tmp.iterdir() if p.is_file())
        marker = {"recipe_version": RECIPE_VERSION, "seed": SEED, "files": files, **info}
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        if not force and is_complete(out):  # another process finished first
            return False
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
            shutil.rmtree(old, ignore_errors=True)
        tmp.rename(out)
        return True
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("var/demo-model"), help="output directory")
    parser.add_argument("--force", action="store_true", help="rebuild even if a complete build exists")
    args = parser.parse_args(argv)

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    start = time.perf_counter()
    built = build(args.out, force=args.force)
    elapsed = time.perf_counter() - start
    if built:
        print(f"built tiny LLaVA in {args.out} ({elapsed:.1f}s)")
    else:
        print(f"{args.out} already holds a complete model; nothing to do (use --force to rebuild)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
