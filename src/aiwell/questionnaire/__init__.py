"""The process questionnaire: what the Well-Architected guidance for AI workloads asks that code cannot show.

`catalog` holds the questions (`questions.yaml`), `answers` reads and writes the answers file, `evidence`
pre-fills answers from what aiwell already knows (the reviewed IaC, `aiwell eval`, `aiwell size` and `aiwell data`
reports), and `results` turns answers into review results with `Q-...` ids.
"""

from aiwell.questionnaire.catalog import (
    CHALLENGES,
    Choice,
    Question,
    QuestionCatalog,
    QuestionDefinitionError,
    load_questions,
)

__all__ = [
    "CHALLENGES",
    "Choice",
    "Question",
    "QuestionCatalog",
    "QuestionDefinitionError",
    "load_questions",
]
