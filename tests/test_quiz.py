"""The chapter questions: validation, and answers hidden behind <details> in every rendering."""

import re
from html.parser import HTMLParser

import pytest

from ddia10.quiz import KINDS, Question, Quiz


def five_kinds() -> Quiz:
    return Quiz(
        [Question(kind, f"Prompt about *{kind}*?", f"Answer with `{kind}_code`.")
         for kind in KINDS],
        title="Chapter 0 questions",
    )


class _Tags(HTMLParser):
    """Records the open-tag stack so a test can ask what encloses a piece of text."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.enclosing: dict[str, list[str]] = {}
        self.balanced = True

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.balanced = False

    def handle_data(self, data):
        if data.strip():
            self.enclosing[data.strip()] = list(self.stack)


def parse(markup: str) -> _Tags:
    parser = _Tags()
    parser.feed(markup)
    parser.close()
    return parser


def test_the_five_kinds_have_their_reader_labels():
    assert KINDS == {
        "concept": "Concept check",
        "interview": "Interview question",
        "debug": "Debug scenario",
        "design": "Design question",
        "frontier": "Frontier question",
    }
    assert Question("debug", "p", "a").label == "Debug scenario"


def test_unknown_kind_is_refused_with_the_list_of_kinds():
    with pytest.raises(ValueError, match="unknown question kind 'trivia'.*concept, interview, "
                                         "debug, design, frontier"):
        Question("trivia", "p", "a")


@pytest.mark.parametrize("field", ["prompt", "answer"])
def test_empty_prompt_or_answer_is_refused(field):
    texts = {"prompt": "p", "answer": "a", field: "   \n"}
    with pytest.raises(ValueError, match=f"{field} must not be empty"):
        Question("concept", **texts)


def test_non_text_prompt_is_refused_by_name():
    with pytest.raises(TypeError, match="prompt must be a markdown string, got int"):
        Question("concept", 42, "a")


def test_quiz_refuses_empty_lists_strangers_and_blank_titles():
    with pytest.raises(ValueError, match="at least one question"):
        Quiz([])
    with pytest.raises(TypeError, match="quiz item 2 is a tuple, not a Question"):
        Quiz([Question("concept", "p", "a"), ("concept", "p", "a")])
    with pytest.raises(TypeError, match=r"wrap the single question in \[\.\.\.\]"):
        Quiz(Question("concept", "p", "a"))
    with pytest.raises(ValueError, match="title"):
        Quiz([Question("concept", "p", "a")], title=" ")


def test_every_answer_sits_inside_a_closed_details_element():
    markup = five_kinds()._repr_html_()
    tags = parse(markup)
    assert tags.balanced, "the quiz HTML must close every tag it opens"
    assert markup.count("<details") == markup.count("</details>") == 5
    assert "open" not in re.findall(r"<details[^>]*>", markup)[0]
    for kind in KINDS:
        assert "details" in tags.enclosing[f"{kind}_code"], f"{kind} answer is not hidden"
    assert "details" not in tags.enclosing["Prompt about"], "a prompt must stay visible"
    assert tags.enclosing["Show answer"][-1] == "summary"


def test_prompts_are_shown_outside_the_answers_and_markdown_is_rendered():
    markup = five_kinds()._repr_html_()
    assert "<em>concept</em>" in markup
    assert "<code>concept_code</code>" in markup
    prompt_position = markup.index("Prompt about <em>debug</em>")
    details_position = markup.index("<details", markup.index('data-kind="debug"'))
    assert prompt_position < details_position


def test_questions_are_numbered_and_labelled_in_order():
    markup = five_kinds()._repr_html_()
    labels = re.findall(r"Q(\d) · ([A-Z][a-z]+ [a-z]+)", markup)
    assert labels == [(str(n), label) for n, label in enumerate(KINDS.values(), start=1)]
    assert re.findall(r'data-kind="(\w+)"', markup) == list(KINDS)


def test_raw_html_in_questions_is_escaped_not_injected():
    quiz = Quiz([Question("concept", "Is <script>alert(1)</script> run?", "No & never.")],
                title="<b>T</b>")
    markup = quiz._repr_html_()
    assert "<script>" not in markup and "<b>T</b>" not in markup
    assert "&lt;script&gt;" in markup and "&amp; never" in markup


def test_rendering_needs_no_javascript_and_no_external_styles():
    markup = five_kinds()._repr_html_()
    assert "<script" not in markup and "<link" not in markup and "class=\"ddia10-quiz\"" in markup


def test_markdown_and_text_fallbacks_keep_answers_revealable_and_complete():
    quiz = five_kinds()
    markdown = quiz._repr_markdown_()
    assert markdown.count("<details><summary>Show answer</summary>") == 5
    text = str(quiz)
    for kind, label in KINDS.items():
        assert label in markdown and label in text
        assert f"{kind}_code" in text
    assert repr(quiz) == "Quiz(5 questions, title='Chapter 0 questions')"


def test_kinds_reports_which_kinds_a_quiz_covers():
    assert five_kinds().kinds() == set(KINDS)
    assert Quiz([Question("design", "p", "a")]).kinds() == {"design"}
    assert len(five_kinds()) == 5
