"""Greedy image-text-to-text generation with a Hugging Face model stored in a local directory.

Any directory that ``AutoProcessor`` and ``AutoModelForImageTextToText`` load from disk works (the tiny demo LLaVA
built by ``deploy/demo_model/build_model.py``, or real LLaVA-style weights); nothing is downloaded. The prompt goes
through the processor's chat template with an image part when there is an image (a plain ``USER: <image>\\n...
ASSISTANT:`` prompt when the processor has no template); text-only requests carry no image at all.

torch and transformers are imported only when a model is loaded. A :class:`LocalModel` is not thread-safe: call
it from one thread at a time (the hf-local adapter runs every call on one dedicated worker thread).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DTYPES = ("auto", "float32", "float16", "bfloat16")


@dataclass(frozen=True)
class Generation:
    text: str
    tokens_in: int  # prompt length in tokens, image tokens included
    tokens_out: int  # new tokens generated (an end-of-sequence token included)
    stopped: bool = False  # cut short by ``should_stop``


class LocalModel:
    """A processor and model loaded from ``model_dir`` onto ``device``."""

    def __init__(self, model_dir: Path, *, device: str = "cpu", dtype: str = "auto", threads: int | None = None):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local directory: never reach for the Hub
        os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bars in the service's log
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; expected one of {', '.join(DTYPES)}")
        if threads is not None:
            torch.set_num_threads(threads)  # process-wide: torch has one intra-op pool
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.torch: Any = torch
        self.device: Any = torch.device(device)
        if dtype == "auto":
            if self.device.type == "cuda":
                torch_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            else:
                torch_dtype = torch.float32
        else:
            torch_dtype = getattr(torch, dtype)
        self.model_dir = model_dir
        self.processor: Any = AutoProcessor.from_pretrained(model_dir, local_files_only=True)
        model: Any = AutoModelForImageTextToText.from_pretrained(model_dir, local_files_only=True, dtype=torch_dtype)
        self.model: Any = model.to(self.device).eval()
        self.tokenizer: Any = getattr(self.processor, "tokenizer", self.processor)
        self.image_token: str = getattr(self.processor, "image_token", None) or "<image>"
        self.has_chat_template = bool(getattr(self.processor, "chat_template", None))
        self.dtype_name = str(self.model.dtype).removeprefix("torch.")
        self.name_or_path = str(getattr(self.model.config, "_name_or_path", "") or "")
        self.architecture = ",".join(getattr(self.model.config, "architectures", None) or [])

    def prompt(self, text: str, with_image: bool) -> str:
        if self.has_chat_template:
            content: list[dict[str, str]] = [{"type": "image"}] if with_image else []
            content.append({"type": "text", "text": text})
            messages = [{"role": "user", "content": content}]
            return str(self.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False))
        image = f"{self.image_token}\n" if with_image else ""
        return f"USER: {image}{text} ASSISTANT:"

    def generate(
        self, prompt: str, image: Any | None, max_new_tokens: int, should_stop: Callable[[], bool] | None = None
    ) -> Generation:
        """Greedy decoding of at most ``max_new_tokens``; ``image`` is an RGB uint8 (H, W, 3) array or None.

        ``should_stop`` is polled after every new token; when it returns True generation ends early and the
        result has ``stopped=True``.
        """
        from PIL import Image

        text = self.prompt(prompt, image is not None)
        if image is not None:
            inputs = self.processor(images=[Image.fromarray(image)], text=text, return_tensors="pt")
        else:
            inputs = self.processor(text=text, return_tensors="pt")
        inputs = inputs.to(self.device)
        if "pixel_values" in inputs:
            inputs["pixel_values"] = inputs["pixel_values"].to(self.model.dtype)
        extra: dict[str, Any] = {}
        stop_flag = [False]
        if should_stop is not None:
            extra["stopping_criteria"] = _stopping_criteria(should_stop, stop_flag)
        with self.torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=max(1, max_new_tokens), do_sample=False, **extra)
        n_in = int(inputs["input_ids"].shape[1])
        new = out[0, n_in:]
        return Generation(text=str(self.tokenizer.decode(new, skip_special_tokens=True)), tokens_in=n_in,
                          tokens_out=int(new.shape[0]), stopped=stop_flag[0])

    def free(self) -> None:
        """Drop the weights (and the CUDA cache they used)."""
        on_cuda = self.device.type == "cuda"
        self.model = None
        self.processor = None
        self.tokenizer = None
        import gc

        gc.collect()
        if on_cuda:
            self.torch.cuda.empty_cache()


def _stopping_criteria(should_stop: Callable[[], bool], flag: list[bool]) -> Any:
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class _Stop(StoppingCriteria):  # type: ignore[misc]
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            if should_stop():
                flag[0] = True
            return torch.full((input_ids.shape[0],), flag[0], device=input_ids.device, dtype=torch.bool)

    return StoppingCriteriaList([_Stop()])
