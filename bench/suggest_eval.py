"""How good and how fast are playbook suggestions?

    python bench/suggest_eval.py [--playbook resolutions/playbooks/telecom.yaml]
                                 [--set bench/data/suggest_eval.yaml] [--total 500] [--show-misses]

``--set`` picks the evaluation set (``--eval`` is the older name of the same
option). ``bench/data/suggest_blind2.yaml`` and ``suggest_test.yaml`` are the
blind test sets: written without seeing the playbook or the suggester, never
tuned on — their figures are the honest ones (blind2 was written last, by
someone who opened no file of the project). ``suggest_heldout.yaml`` was written blind too, but its
failure patterns were later used to improve the suggester; the default set is
the development set. ``suggest_fresh.yaml`` holds situations the playbook's
examples do not describe, by the author of those examples (an estimate, not
blind). See bench/README.md.

Embedded by default: a throw-away SQLite database in a temporary data dir
(set DATABASE_URL to run on PostgreSQL instead; the database must be a
dedicated one, its playbook tables are overwritten).

1. Imports the playbook and asks ``resolutions.suggest.suggest`` for every
   message of the evaluation set (customer messages written for this purpose,
   none copied from the playbook's examples). Prints top-1 and top-3 topic
   accuracy per language.
2. Adds generated filler topics with one resolution each until the playbook
   holds ``--total`` resolutions, and times ``suggest`` for every evaluation
   message (the whole call: revision check against the database, index lookup,
   ranking) after one warm-up that builds the index. Prints p50/p95/max and
   the index build time; accuracy is measured again with the filler loaded.

Targets (issue 7): top-1 >= 90 %, top-3 >= 97 % in every language; p95 <= 20 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _stack  # noqa: E402

TARGET_TOP1 = 0.90
TARGET_TOP3 = 0.97
TARGET_P95_MS = 20.0
LANGUAGES = ("en", "nl", "da", "nb")

# Filler vocabulary: common words of our languages (so filler topics share
# n-grams with real messages, as a real big playbook would) plus invented words.
COMMON_WORDS = (
    "the my is a to and for not with have this on it can you i de het een mijn is niet ik met voor van op "
    "jeg er min ikke og til det med har på en et kan du jeg har meg mitt som fra please help want need "
    "hello hallo hej hei thanks bedankt tak takk account service customer klant kunde question vraag "
    "spørgsmål spørsmål problem probleem month maand måned week day dag today vandaag i dag"
).split()


def _pseudo_words(rng: random.Random, count: int) -> list[str]:
    syllables = ["ka", "lo", "mi", "ter", "van", "bro", "sel", "dun", "ri", "po", "gar", "fen", "tu", "ski", "ma", "nor", "vel", "ju", "pra", "hed"]
    return ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(count)]


def filler_topics(count: int, seed: int = 7):
    from resolutions.playbook_file import ResolutionSpec, TopicSpec

    rng = random.Random(seed)
    vocabulary = _pseudo_words(rng, 3000)
    topics = []
    for number in range(count):
        topic_words = rng.sample(vocabulary, 12)

        def sentence() -> str:
            words = rng.sample(topic_words, 4) + rng.sample(COMMON_WORDS, 5)
            rng.shuffle(words)
            return " ".join(words)

        slug = f"filler-{number:04d}"
        topics.append(
            TopicSpec(
                slug=slug,
                names={"en": f"Filler {number}", "nl": f"Vulling {number}"},
                examples={"en": [sentence() for _ in range(4)], "nl": [sentence() for _ in range(3)]},
                keywords=rng.sample(topic_words, 5),
                resolutions=[
                    ResolutionSpec(
                        slug=f"{slug}-answer", title=f"Filler answer {number}", policy="Generated for the benchmark.",
                        promises={}, answers={"en": {"default": "Hi {first_name}, " + sentence()}, "nl": {"default": "Hoi {first_name}, " + sentence()}},
                        exception={},
                    )
                ],
            )
        )
    return topics


def evaluate(messages, suggest, *, show_misses: bool) -> dict:
    hits = defaultdict(lambda: [0, 0, 0])  # language -> [top1, top3, total]
    for topic, language, text in messages:
        ranked = []
        for suggestion in suggest(text, limit=10):
            if suggestion.topic not in ranked:
                ranked.append(suggestion.topic)
        top1 = bool(ranked) and ranked[0] == topic
        top3 = topic in ranked[:3]
        row = hits[language]
        row[0] += top1
        row[1] += top3
        row[2] += 1
        if show_misses and not top1:
            print(f"  miss [{language}] {topic}: got {ranked[:3]} for {text!r}", file=sys.stderr)
    return hits


def print_accuracy(title: str, hits: dict) -> bool:
    print(title)
    print(f"  {'language':<9}{'messages':>9}{'top-1':>9}{'top-3':>9}  target")
    ok = True
    for language in sorted(hits, key=lambda code: LANGUAGES.index(code) if code in LANGUAGES else 99):
        top1, top3, total = hits[language]
        meets = top1 / total >= TARGET_TOP1 and top3 / total >= TARGET_TOP3
        ok &= meets
        print(f"  {language:<9}{total:>9}{top1 / total:>9.1%}{top3 / total:>9.1%}  {'met' if meets else 'MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playbook", default=str(_stack.REPO_ROOT / "resolutions/playbooks/telecom.yaml"))
    parser.add_argument(
        "--set", "--eval", dest="eval_set", metavar="FILE", default=str(_stack.REPO_ROOT / "bench/data/suggest_eval.yaml"),
        help="evaluation set (YAML: messages -> topic -> language -> texts); bench/data/suggest_heldout.yaml is the held-out one",
    )
    parser.add_argument("--total", type=int, default=500, help="resolutions loaded for the latency run")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL"):
        os.environ["UNISONO_DATA_DIR"] = tempfile.mkdtemp(prefix="unisono-suggest-bench-")
    _stack.setup_django()
    import yaml
    from django.core.management import call_command

    from resolutions import actions, suggest
    from resolutions.models import AnswerRecord, Resolution, ResolutionVersion, Topic, TopicConfirmation
    from resolutions.playbook_file import parse

    call_command("migrate", verbosity=0)
    AnswerRecord.objects.all().delete()
    TopicConfirmation.objects.all().delete()
    Resolution.objects.update(current_version=None)
    ResolutionVersion.objects.all().delete()
    Resolution.objects.all().delete()
    Topic.objects.all().delete()

    playbook = parse(Path(args.playbook).read_text(encoding="utf-8"))
    actions.playbook_import(topics=playbook, source=Path(args.playbook).name)
    eval_path = Path(args.eval_set)
    document = yaml.safe_load(eval_path.read_text(encoding="utf-8"))
    messages = [
        (topic, language, text)
        for topic, by_language in document["messages"].items()
        for language, texts in by_language.items()
        for text in texts
    ]
    example_texts = {text.strip().lower() for topic in playbook for texts in topic.examples.values() for text in texts}
    copied = [text for _, _, text in messages if text.strip().lower() in example_texts]
    real_resolutions = sum(len(topic.resolutions) for topic in playbook)
    try:
        shown_path = eval_path.resolve().relative_to(_stack.REPO_ROOT)
    except ValueError:
        shown_path = eval_path
    print(f"evaluation set: {shown_path}")
    print(
        f"suggest_eval: {len(messages)} messages over {len(document['messages'])} topics; "
        f"playbook {len(playbook)} topics, {real_resolutions} resolutions; {len(copied)} messages copied from its examples"
    )
    ok = print_accuracy("\naccuracy, playbook only", evaluate(messages, suggest.suggest, show_misses=args.show_misses))

    filler = max(0, args.total - real_resolutions)
    started = time.perf_counter()
    actions.playbook_import(topics=playbook + filler_topics(filler), source="bench filler")
    print(f"\nloaded {filler} filler topics/resolutions ({real_resolutions + filler} resolutions) in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    suggest.suggest("warm up: build the index")
    print(f"index build: {(time.perf_counter() - started) * 1000:.0f} ms")

    timings = []
    for _, _, text in messages * 3:
        started = time.perf_counter()
        suggest.suggest(text)
        timings.append((time.perf_counter() - started) * 1000)
    p50, p95 = _stack.percentile(timings, 50), _stack.percentile(timings, 95)
    meets = p95 <= TARGET_P95_MS
    print(f"\nlatency of suggest() with {real_resolutions + filler} resolutions, {len(timings)} calls")
    print(f"  {'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}  target p95 <= {TARGET_P95_MS:.0f} ms")
    print(f"  {p50:>8.2f}{p95:>8.2f}{max(timings):>8.2f}  {'met' if meets else 'MISSED'}")
    ok &= meets
    ok &= print_accuracy(
        f"\naccuracy with {real_resolutions + filler} resolutions loaded", evaluate(messages, suggest.suggest, show_misses=False)
    )
    print("\nall targets met" if ok else "\nsome targets MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
