from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from resolutions.models import Resolution, ResolutionVersion, Topic
from tests.resolutions.conftest import STARTER


def _export(tmp_path: Path) -> bytes:
    out = tmp_path / "exported.yaml"
    call_command("export_playbook", str(out), verbosity=0)
    return out.read_bytes()


def test_import_then_export_gives_the_file_back_byte_for_byte(db, tmp_path):
    # Given the starter playbook file (in canonical form)
    # When it is imported and exported
    call_command("import_playbook", str(STARTER), verbosity=0)
    # Then the export is the same bytes
    assert _export(tmp_path) == STARTER.read_bytes()


def test_starter_playbook_is_big_enough_and_multilingual(playbook):
    assert Topic.objects.count() >= 12
    for resolution in Resolution.objects.select_related("current_version"):
        answers = resolution.current_version.answers
        assert {"en", "nl"} <= set(answers), resolution.slug
        assert all("dear customer" not in text.lower() for variants in answers.values() for text in variants.values())


def test_import_is_idempotent(db, capsys):
    call_command("import_playbook", str(STARTER), verbosity=0)
    versions = ResolutionVersion.objects.count()
    # When the same file is imported again
    call_command("import_playbook", str(STARTER), verbosity=0)
    # Then nothing new is written
    assert ResolutionVersion.objects.count() == versions
    assert ResolutionVersion.objects.filter(retired_at__isnull=False).count() == 0
    assert "0 new versions" in capsys.readouterr().out


def test_one_changed_answer_makes_exactly_one_new_version_and_retires_the_old(db, tmp_path, capsys):
    call_command("import_playbook", str(STARTER), verbosity=0)
    before = ResolutionVersion.objects.count()
    old = Resolution.objects.get(slug="refund-overage").current_version
    # Given the file with one answer changed
    changed = tmp_path / "changed.yaml"
    text = STARTER.read_text(encoding="utf-8")
    old_sms = old.answers["nl"]["sms"]
    assert text.count(old_sms) == 1
    changed.write_text(text.replace(old_sms, "Hoi {first_name}, de extra datakosten zijn teruggestort. Ref {ticket_ref}"), encoding="utf-8")
    # When it is imported
    call_command("import_playbook", str(changed), verbosity=0)
    # Then exactly one version was added, for that resolution, and the old one is retired
    assert ResolutionVersion.objects.count() == before + 1
    resolution = Resolution.objects.get(slug="refund-overage")
    new = resolution.current_version
    assert new.number == old.number + 1
    assert new.answers["nl"]["sms"].startswith("Hoi {first_name}, de extra datakosten")
    old.refresh_from_db()
    assert old.retired_at is not None
    assert old.answers["nl"]["sms"] == old_sms  # never edited in place
    assert ResolutionVersion.objects.filter(retired_at__isnull=False).count() == 1
    # And exporting gives the changed file back
    assert _export(tmp_path) == changed.read_bytes()
    assert "1 new versions" in capsys.readouterr().out


def test_the_design_documents_flow_style_example_imports(db, tmp_path):
    example = tmp_path / "design.yaml"
    example.write_text(
        """topics:
  - slug: data-overage
    name: {en: Unexpected data charges, nl: Onverwachte datakosten}
    examples:
      en: ["my bill shows huge data charges"]
      nl: ["mijn rekening heeft enorme datakosten"]
    resolutions:
      - slug: refund-overage
        title: Refund the overage up to 50 EUR
        policy: Refund once per 12 months; above 50 EUR escalate to billing.
        answers:
          en: {default: "Hi {first_name}, ...", x: "...", sms: "...", phone: "..."}
          nl: {default: "Hoi {first_name}, ..."}
""",
        encoding="utf-8",
    )
    call_command("import_playbook", str(example), verbosity=0)
    assert Resolution.objects.get(slug="refund-overage").current_version.answers["nl"] == {"default": "Hoi {first_name}, ..."}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("topics: [", "not valid YAML"),
        ("nothing: here\n", "top-level 'topics:' list"),
        ("topics:\n  - slug: Bad Slug\n    name: {en: X}\n", "slug must be"),
        ("topics:\n  - slug: a\n    name: {en: A}\n    resolutions:\n      - slug: r\n        title: T\n        answers: {nl: {default: 'Hoi'}}\n", "needs an English"),
        ("topics:\n  - slug: a\n    name: {en: A}\n    resolutions:\n      - slug: r\n        title: T\n        answers: {en: {default: 'Hi {name}'}}\n", "unknown placeholder {name}"),
        ("topics:\n  - slug: a\n    name: {en: A}\n    resolutions:\n      - slug: r\n        title: T\n        answers: {en: {default: 'Hi', fax: 'x'}}\n", "unknown channel(s) fax"),
        ("topics:\n  - slug: a\n    name: {en: A}\n  - slug: a\n    name: {en: B}\n", "appears twice"),
        ("topics:\n  - slug: a\n    name: {no: A}\n", "Norwegian is 'nb'"),
    ],
)
def test_a_bad_file_fails_with_one_line_and_stores_nothing(db, tmp_path, content, expected):
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("import_playbook", str(bad), verbosity=0)
    message = str(error.value)
    assert expected in message
    assert "\n" not in message
    assert Topic.objects.count() == 0


def test_a_missing_file_is_one_line(db):
    with pytest.raises(CommandError, match="cannot read the file"):
        call_command("import_playbook", "/nonexistent/playbook.yaml", verbosity=0)


def test_a_bad_entry_late_in_the_file_leaves_the_earlier_ones_unstored(db, tmp_path):
    # Validation runs before any write: a mistake in the last topic stores nothing.
    text = STARTER.read_text(encoding="utf-8") + "  - slug: broken\n    name: {en: Broken}\n    resolutions: [{slug: x, title: T, answers: {en: {sms: 'no default'}}}]\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match="needs a 'default' answer"):
        call_command("import_playbook", str(bad), verbosity=0)
    assert Topic.objects.count() == 0


def test_import_and_export_show_progress_and_end_with_one_summary_line(db, tmp_path, capsys):
    topics = STARTER.read_text(encoding="utf-8").count("\n  - slug: ")

    call_command("import_playbook", str(STARTER), "--every", "5")
    out, err = capsys.readouterr()
    assert "import: 5/" in err and f"import: {topics}/{topics} (100%)" in err
    assert out.strip().splitlines() == [f"Imported {STARTER.name}: {topics} topics created, 0 updated; "
                                        f"{Resolution.objects.count()} resolutions created, {Resolution.objects.count()} new versions, 0 unchanged."]

    target = tmp_path / "out.yaml"
    call_command("export_playbook", str(target), "--every", "5")
    out, err = capsys.readouterr()
    assert "export: 5/" in err and f"export: {topics}/{topics} (100%)" in err
    assert out.strip().splitlines() == [f"Exported {topics} topics and {Resolution.objects.count()} resolutions to {target}."]


def test_export_to_standard_output_keeps_progress_out_of_the_yaml(db, capsys):
    call_command("import_playbook", str(STARTER), verbosity=0)
    capsys.readouterr()
    call_command("export_playbook")
    out, err = capsys.readouterr()
    assert out == STARTER.read_text(encoding="utf-8") and "(100%)" in err


def test_a_bad_option_is_one_line(db):
    with pytest.raises(CommandError) as error:
        call_command("import_playbook", str(STARTER), "--every", "0")
    assert str(error.value) == "Error: argument --every: must be at least 1, got 0"
    assert Topic.objects.count() == 0
