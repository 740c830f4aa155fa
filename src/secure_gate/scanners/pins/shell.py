"""A small POSIX-shell word splitter: enough to find commands and where each word starts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_OPERATORS = ("&&", "||", ";;", ";", "|&", "|", "&", "(", ")", "\n")
_REDIRECTS = (">>", ">&", "<&", "&>", ">|", "<>", ">", "<")
_HEREDOC = re.compile(r"<<(-?)[ \t]*(?:'([^'\n]*)'|\"([^\"\n]*)\"|\\?([^\s;&|<>()]+))")
# Words that open or continue a compound command; the real command follows them.
_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}",
                       "fi", "done", "time"})
_NO_COMMAND = frozenset({"for", "case", "select", "function"})
_PARAMETER = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])?")


@dataclass(frozen=True, slots=True)
class Word:
    """A shell word: its text with quotes removed, where it starts, and if it expands."""

    text: str
    start: int
    dynamic: bool = False


@dataclass(slots=True)
class _Lexer:
    script: str
    index: int = 0
    tokens: list[tuple[str, Word]] = field(default_factory=list)
    heredocs: list[tuple[str, bool]] = field(default_factory=list)

    def run(self) -> list[tuple[str, Word]]:
        s = self.script
        while self.index < len(s):
            char = s[self.index]
            if char in " \t\r":
                self.index += 1
            elif char == "\\" and s.startswith("\n", self.index + 1):
                self.index += 2
            elif char == "#":
                end = s.find("\n", self.index)
                self.index = len(s) if end < 0 else end
            elif s.startswith("<<", self.index) and not s.startswith("<<<", self.index):
                self._heredoc()
            elif s.startswith("<<<", self.index):
                self.tokens.append(("redirect", Word("<<<", self.index)))
                self.index += 3
            elif char == "\n":
                self.tokens.append(("op", Word("\n", self.index)))
                self.index += 1
                self._skip_heredoc_bodies()
            elif op := next((o for o in _REDIRECTS if s.startswith(o, self.index)), None):
                self.tokens.append(("redirect", Word(op, self.index)))
                self.index += len(op)
            elif op := next((o for o in _OPERATORS if s.startswith(o, self.index)), None):
                self.tokens.append(("op", Word(op, self.index)))
                self.index += len(op)
            else:
                before = self.index
                self._word()
                self.index = max(self.index, before + 1)  # always make progress
        return self.tokens

    def _heredoc(self) -> None:
        match = _HEREDOC.match(self.script, self.index)
        if match is None:
            self.index += 2
            return
        delimiter = next(g for g in match.groups()[1:] if g is not None)
        self.heredocs.append((delimiter, match.group(1) == "-"))
        self.tokens.append(("redirect", Word("<<", self.index)))
        self.tokens.append(("word", Word(delimiter, match.start(2) if match.group(2) else
                                         self.index + 2)))
        self.index = match.end()

    def _skip_heredoc_bodies(self) -> None:
        """A here-document's body is data for the command, never commands."""
        for delimiter, strip_tabs in self.heredocs:
            while self.index < len(self.script):
                end = self.script.find("\n", self.index)
                stop = len(self.script) if end < 0 else end
                body_line = self.script[self.index:stop]
                self.index = stop + 1 if end >= 0 else stop
                if (body_line.lstrip("\t") if strip_tabs else body_line) == delimiter:
                    break
        self.heredocs.clear()

    def _word(self) -> None:
        s = self.script
        start = self.index
        out: list[str] = []
        dynamic = False
        while self.index < len(s):
            char = s[self.index]
            if char in " \t\r\n" or any(s.startswith(o, self.index) for o in _OPERATORS
                                          if o != "\n") or char in "<>":
                break
            if char == "\\":
                if s.startswith("\n", self.index + 1):
                    self.index += 2
                    continue
                out.append(s[self.index + 1: self.index + 2])
                self.index += 2
            elif char == "'":
                end = s.find("'", self.index + 1)
                end = len(s) if end < 0 else end
                out.append(s[self.index + 1: end])
                self.index = end + 1
            elif char == '"':
                self.index += 1
                while self.index < len(s) and s[self.index] != '"':
                    if s[self.index] == "\\" and self.index + 1 < len(s):
                        nxt = s[self.index + 1]
                        if nxt == "\n":
                            self.index += 2
                            continue
                        out.append(nxt if nxt in '$`"\\' else "\\" + nxt)
                        self.index += 2
                        continue
                    if s[self.index] in "$`":
                        dynamic = True
                        self._expansion(out)
                        continue
                    out.append(s[self.index])
                    self.index += 1
                self.index += 1
            elif char in "$`":
                dynamic = True
                self._expansion(out)
            else:
                out.append(char)
                self.index += 1
        self.tokens.append(("word", Word("".join(out), start, dynamic)))

    def _expansion(self, out: list[str]) -> None:
        """Copy ``$x``, ``${x}``, ``${{ expr }}``, ``$(cmd)`` or a backtick span verbatim."""
        s = self.script
        start = self.index
        if s.startswith("${{", start):
            end = s.find("}}", start)
            self.index = len(s) if end < 0 else end + 2
        elif s.startswith("$(", start) or s.startswith("${", start) or s[start] == "`":
            opener = "`" if s[start] == "`" else s[start + 1]
            closer = {"(": ")", "{": "}", "`": "`"}[opener]
            depth, self.index = 0, start + (1 if opener == "`" else 2)
            while self.index < len(s):
                char = s[self.index]
                self.index += 1
                if char == closer and depth == 0:
                    break
                if opener != "`" and char == opener:
                    depth += 1
                elif char == closer:
                    depth -= 1
        else:
            match = _PARAMETER.match(s, start)
            self.index = match.end() if match else start + 1
        out.append(s[start:self.index])


def commands(script: str) -> list[list[Word]]:
    """The simple commands of ``script``: words only, redirections and keywords dropped."""
    out: list[list[Word]] = []
    current: list[Word] = []
    skip_next = False
    for kind, word in _Lexer(script).run():
        if kind == "op":
            if current:
                out.append(current)
            current = []
            continue
        if kind == "redirect":
            if current and current[-1].text.isdigit() and current[-1].start + len(
                    current[-1].text) == word.start:
                current.pop()  # 2>&1: the digit names a file descriptor
            skip_next = True
            continue
        if skip_next:
            skip_next = False
            continue
        if not current and word.text in _KEYWORDS and not word.dynamic:
            continue
        current.append(word)
    if current:
        out.append(current)
    return [c for c in out if c[0].text not in _NO_COMMAND]
