"""Exact edits of one darts test file, shared by ``patch_global.py`` and ``patch_prob.py``.

Every edit names the number of places it must match, so a darts file that changed under us fails loudly instead of
running a half-edited test.
"""

import pathlib

MODELS = "[TiDEModel, ProgressiveFusionForecaster]"
PF_TINY = 'PF_TINY = {"hidden_size": 16, "num_layers": 2, "context_size": 4}\n'
# pf's small sizes, added to a constructor call that runs on either model
PF_EXTRA = "**(PF_TINY if model_cls is ProgressiveFusionForecaster else {}),"


def over_models(indent: str) -> str:
    """The decorator that runs a test once per model, as ``model_cls``."""
    return f'{indent}@pytest.mark.parametrize("model_cls", {MODELS})\n'


def constructor(name: str, arguments: list[str], indent: str, extra: str = "") -> str:
    """``model = name(...)`` laid out as darts writes it: one argument a line, ``**tfm_kwargs`` last."""
    inner = indent + "    "
    lines = [f"{indent}model = {name}("] + [f"{inner}{argument}," for argument in arguments]
    lines += [f"{inner}{extra}"] if extra else []
    return "\n".join(lines + [f"{inner}**tfm_kwargs,", f"{indent})"])


class TestFilePatch:
    """``WORK/orig/NAME`` read into memory, edited, and written to ``WORK/NAME``."""

    def __init__(self, work: str, name: str):
        self.target = pathlib.Path(work) / name
        self.text = (pathlib.Path(work) / "orig" / name).read_text()

    def replace(self, old: str, new: str, count: int = 1) -> None:
        found = self.text.count(old)
        assert found == count, f"expected {count} place(s), found {found}: {old[:80]!r}"
        self.text = self.text.replace(old, new)

    def replace_span(self, start: str, end: str, new: str) -> None:
        """Replace the text from ``start`` up to (not including) the next ``end``."""
        first = self.text.index(start)
        last = self.text.index(end, first)
        self.text = self.text[:first] + new + self.text[last:]

    def swap_model(self, old_name: str, arguments: list[str], indent: str = "        ", count: int = 1,
                   keep: tuple[str, ...] = ()) -> None:
        """Replace darts' ``model = OLD(arguments)`` by ``model_cls`` with pf's small sizes.

        ``keep`` lists the arguments that stay (the others are OLD's own, e.g. NBEATS' stacks)."""
        kept = [argument for argument in arguments if not keep or argument.split("=")[0] in keep]
        self.replace(constructor(old_name, arguments, indent),
                     constructor("model_cls", kept, indent, extra=PF_EXTRA), count=count)

    def over_models(self, signature: str, new_signature: str, indent: str = "    ") -> None:
        """Run the test of ``signature`` once per model, with ``new_signature`` taking ``model_cls``."""
        self.replace(signature, over_models(indent) + new_signature)

    def write(self) -> None:
        self.target.write_text(self.text)
        print("ok")
