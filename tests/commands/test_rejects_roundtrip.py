"""A rejects file corrected by hand goes back in through the same importer."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from phoner.cli import app
from phoner.formats.tabular import read_table

runner = CliRunner()


def run(db_url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", db_url, *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout


def test_reimported_rejects_file_keeps_one_pair_of_meta_columns(
    db_url: str, workspace: Path
) -> None:
    assert run(db_url, "init")[0] == 0
    code, out = run(db_url, "campaign", "create", "Efterår", "--script", "scripts/fleksjob.toml")
    assert code == 0, out
    source = workspace / "liste.csv"
    source.write_text(
        "Navn;CVR;Telefon;Kommune\n"
        "Bager A;12345674;33 12 34 56;Køge\n"
        "Smed B;;;Køge\n"
        "Tømrer C;87654321;;Køge\n",
        encoding="utf-8",
    )
    code, out = run(db_url, "list", "import", str(source), "--campaign", "Efterår", "--json")
    assert code == 0, out
    rejects = Path(json.loads(out)["rejects_file"])
    first = read_table(rejects)
    assert first.headers[:2] == ["Linje", "Årsag"] and first.headers.count("Linje") == 1
    assert len(first.rows) >= 1
    # the coordinator fixes nothing and imports the rejects file again
    code, out = run(db_url, "list", "import", str(rejects), "--campaign", "Efterår", "--json")
    assert code == 0, out
    again = read_table(Path(json.loads(out)["rejects_file"]))
    assert again.headers == first.headers
    assert [r.cells[2:] for r in again.rows] == [r.cells[2:] for r in first.rows]


def test_one_rejected_row_is_singular(db_url: str, workspace: Path) -> None:
    """The summary said "1 rækker afvist"."""
    assert run(db_url, "init")[0] == 0
    assert run(db_url, "campaign", "create", "Efterår", "--script", "scripts/fleksjob.toml")[0] == 0
    source = workspace / "liste.csv"
    source.write_text(
        "Navn;CVR;Telefon;Kommune\nBager A;12345674;33 12 34 56;Køge\nSmed B;;;Køge\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["--db", db_url, "list", "import", str(source), "-c", "Efterår"])
    assert result.exit_code == 0, result.output
    assert "2 rækker læst, 1 virksomhed importeret, 0 dubletter flettet, 1 afvist" in result.output


def test_list_show_names_states_in_words(db_url: str, workspace: Path) -> None:
    """`list show` printed raw codes such as 'uden_for_maalgruppe'."""
    assert run(db_url, "init")[0] == 0
    assert run(db_url, "campaign", "create", "Efterår", "--script", "scripts/fleksjob.toml")[0] == 0
    source = workspace / "liste.csv"
    source.write_text(
        "Navn;CVR;Telefon;Kommune;Antal ansatte\n"
        "Bager A;12345674;33 12 34 56;Køge;40\n"
        "Smed B;;33 12 34 57;Køge;1\n",
        encoding="utf-8",
    )
    assert run(db_url, "list", "import", str(source), "-c", "Efterår")[0] == 0
    assert run(db_url, "list", "target", "-c", "Efterår", "--min-employees", "5")[0] == 0
    result = runner.invoke(
        app, ["--db", db_url, "list", "show", "-c", "Efterår"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "Uden for målgruppen" in result.output and "Afventer" in result.output
    assert "uden_for_maalgruppe" not in result.output
