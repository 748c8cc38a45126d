"""R.3 OOD text sentiment: sentiment of sentences written in shifted styles."""

from __future__ import annotations

from pathlib import Path

from probes.catalogue import TXT_IMG_VARIANTS, Dimension, Modality, Sample, Task, register
from probes.tasks._render import builder, save_png, text_card

TASK = register(Task(
    id="R.3",
    name="OOD text sentiment",
    dimension=Dimension.ROBUSTNESS,
    subdimension="out_of_distribution",
    modality=Modality.TXT_IMG,
    variants=TXT_IMG_VARIANTS,
    scorer="sentiment_label",
    summary="Does the model still read sentiment correctly when the sentence is in an unusual style?",
    original_metric="accuracy: exactly one of positive/negative in the answer, and correct",
    fidelity=(
        "40 sentences written for the project in 8 shifted styles (Shakespearean, tweet slang, formal legal, "
        "archaic, emoji-laden, academic jargon, rhyming verse, pirate speak), 5 each, 20 positive / 20 negative, "
        "instead of the original's style-transferred SST-2 sentences. The related image is a card showing the "
        "sentence itself (emoji dropped, the bundled font cannot draw them): it relates to the text without "
        "adding label information a picture of the scene could give away. Unrelated images as in the catalogue."
    ),
))

# (style, label, sentence) - written for the project.
SENTENCES: tuple[tuple[str, str, str], ...] = (
    ("shakespearean", "positive",
     "Verily, this play hath filled mine heart with such joy that I would see it thrice more."),
    ("shakespearean", "negative",
     "Fie upon this wretched tavern! The ale was sour and the keeper most discourteous."),
    ("shakespearean", "positive", "Thy gift, sweet friend, doth gladden me beyond all measure."),
    ("shakespearean", "negative", "O woe, this book is a tedious tale that wearieth the soul and pleaseth none."),
    ("shakespearean", "positive", "Methinks the cook hath outdone himself; never did I sup so well."),
    ("tweet_slang", "negative", "ngl this update is mid af, app crashes every 5 min smh"),
    ("tweet_slang", "positive", "yo that concert was straight fire, no cap best night of my life"),
    ("tweet_slang", "negative", "bruh the delivery guy ghosted me AGAIN, never ordering from them lol"),
    ("tweet_slang", "positive", "lowkey obsessed w this new coffee spot, vibes immaculate fr"),
    ("tweet_slang", "negative", "this movie was such a flop i want my 2 hrs back tbh"),
    ("legal_formal", "positive",
     "The Party of the First Part hereby acknowledges that the services rendered were of exemplary quality "
     "and wholly satisfactory."),
    ("legal_formal", "negative",
     "The undersigned hereby lodges a formal complaint, the goods delivered being defective, damaged and "
     "wholly unfit for purpose."),
    ("legal_formal", "positive",
     "It is hereby recorded that the Tenant expresses sincere gratitude for the Landlord's prompt and "
     "courteous assistance."),
    ("legal_formal", "negative",
     "Notwithstanding repeated requests, the Provider has failed to remedy the deficiencies, to the "
     "considerable detriment and dissatisfaction of the Claimant."),
    ("legal_formal", "positive",
     "The Committee finds, without reservation, that the applicant's performance exceeded every expectation."),
    ("archaic", "negative",
     "Woe unto them that dine at this house, for the bread was stale and the service grievous."),
    ("archaic", "positive",
     "Blessed is the traveller who lodgeth at this inn, for its beds are soft and its hosts kind."),
    ("archaic", "negative", "And lo, the journey was long and bitter, and no comfort was found therein."),
    ("archaic", "positive", "Rejoice, for the harvest was plentiful and the feast a delight unto all."),
    ("archaic", "negative",
     "Alas, the garment was rent asunder upon its first wearing, and great was my displeasure."),
    ("emoji", "positive", "Best birthday ever \U0001f389\U0001f973\U0001f60d thank u all sooo much \u2764\ufe0f"),
    ("emoji", "negative", "Flight delayed 6 hours \U0001f621\U0001f624 lost my luggage too \U0001f480\U0001f44e"),
    ("emoji", "positive", "Finally passed my driving test!!! \U0001f697\u2728\U0001f64c\U0001f601"),
    ("emoji", "negative", "Cold soup, rude waiter, huge bill \U0001f922\U0001f644\U0001f44e never again"),
    ("emoji", "positive", "Puppy cuddles all afternoon \U0001f436\U0001f495\u2600\ufe0f pure happiness"),
    ("academic", "negative",
     "The device exhibited a statistically significant degradation in battery performance, rendering it "
     "effectively unusable."),
    ("academic", "positive",
     "Empirical observation indicates a substantial enhancement in user satisfaction following the redesign."),
    ("academic", "negative",
     "Results demonstrate a persistent failure of the heating apparatus, yielding intolerable living "
     "conditions."),
    ("academic", "positive",
     "Quantitative assessment of the course yields uniformly favourable outcomes across every measured "
     "dimension of learning."),
    ("academic", "negative",
     "Longitudinal analysis reveals a marked decline in the quality of customer support, precipitating "
     "widespread frustration."),
    ("rhyming_verse", "positive", "The hotel by the bay, where we chose to stay, made each grey day feel bright "
     "as May."),
    ("rhyming_verse", "negative", "The meal was cold, the bread was old, the worst I've had, the truth be told."),
    ("rhyming_verse", "positive",
     "Sweet melodies flowed, my worries all slowed, this album's a gift, a treasure bestowed."),
    ("rhyming_verse", "negative", "The game dragged on, all hope was gone, I wish I'd left before the dawn."),
    ("rhyming_verse", "positive",
     "My garden in bloom chased away all the gloom, such colour and scent filling every room."),
    ("pirate", "negative",
     "Arr, this ship be leakin' and the captain be a scurvy cheat, the worst voyage I ever sailed!"),
    ("pirate", "positive",
     "Yo ho, what a treasure of a tavern, the grog be fine and the company finer, matey!"),
    ("pirate", "negative",
     "Blimey, the map ye sold me be worthless, it led me straight into a swamp, ye bilge rat!"),
    ("pirate", "positive", "Shiver me timbers, this new parrot be the finest mate a sailor could ask for!"),
    ("pirate", "negative", "Avast, the rations be rotten and the crew be miserable as sea slugs."),
)

PROMPT = ("What is the sentiment of the following sentence? Answer with exactly one word: positive or negative.\n"
          "Sentence: {sentence}")


@builder("R.3")
def build(out_dir: Path) -> list[Sample]:
    samples: list[Sample] = []
    for i, (style, label, sentence) in enumerate(SENTENCES):
        name = f"sentence_{i:03d}.png"
        save_png(text_card(sentence, font_size=26), out_dir / name)
        samples.append(Sample(
            id=f"r3-{i:03d}",
            prompt=PROMPT.format(sentence=sentence),
            image=name,
            target={"label": label, "style": style},
        ))
    return samples
