"""Task declarations; importing this package registers them."""

from probes.tasks import (  # noqa: F401  (each module registers its task)
    f2_stereotype_agreement,
    p6_pii_conversation,
    r3_ood_text_sentiment,
    s4_typographic_jailbreak,
    t1_world_understanding,
)
