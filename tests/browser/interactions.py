"""Counting a user's interactions the way issue 13 defines them: one click, one key press (Enter, Tab, a
shortcut) or one typed value. Each task's browser test drives the page only through these, so the count is what
a user would pay, and fails above the task's goal."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Counted:
    """A Playwright page whose user actions are counted; `log` says what each one was (shown when a goal fails)."""

    page: object
    log: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.log)

    def click(self, locator, what: str = "") -> None:
        locator.click()
        self.log.append(f"click {what or locator}")

    def press(self, key: str) -> None:
        """A key pressed wherever the focus is (as a user without the mouse)."""
        self.page.keyboard.press(key)
        self.log.append(f"key {key}")

    def type(self, text: str) -> None:
        """One typed value into the focused field (a scanner's code counts as one, its Enter separately)."""
        self.page.keyboard.type(text)
        self.log.append(f"type {text!r}")

    def scan(self, code: str) -> None:
        """A scanner's scan into the focused field: the code and its Enter, one interaction (the issue's unit)."""
        self.page.keyboard.type(code)
        self.page.keyboard.press("Enter")
        self.log.append(f"scan {code}")

    def fill(self, locator, text: str, what: str = "") -> None:
        """One typed value into a field the user is already in (asserted: no hidden click to get there)."""
        assert locator.evaluate("e => e === document.activeElement"), f"{what or locator} is not focused"
        locator.fill(text)
        self.log.append(f"type {text!r} into {what or locator}")

    def focused(self) -> str:
        """The focused element's id or name, for asserting where the cursor went."""
        return self.page.evaluate("() => document.activeElement && (document.activeElement.id || "
                                  "document.activeElement.name || document.activeElement.tagName)")

    def within(self, goal: int, task: str) -> None:
        assert self.count <= goal, f"{task}: {self.count} interactions, goal ≤ {goal}: {self.log}"
