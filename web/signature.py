"""What a party may sign now, and the proof an electronic signature carries.

The text offered is the stored document (its bytes never change); the signer sees its title,
version and SHA-256 fingerprint, and the form sends the fingerprint back: if the text changed in
between, nothing is signed. The proof travels in the signing step, so the journal keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.registry.schema import Document
from workflows.case import rules
from workflows.case.model import CaseState, Party, Phase, SignatureEvidence, SignAmendment, SignConvention


@dataclass(frozen=True)
class Signable:
    key: str
    """`convention`, or `amendment-<n>`: what the signing form names."""
    title: str
    document_id: int
    version: str
    content_hash: str
    number: int | None = None
    """The amendment's number (None: the convention)."""

    def with_evidence(self, step: SignConvention | SignAmendment) -> SignConvention | SignAmendment:
        evidence = SignatureEvidence(document_hash=self.content_hash, document_version=self.version)
        return step.model_copy(update={"evidence": evidence, **({"number": self.number} if self.number else {})})


def signable(session: Session, state: CaseState, party: Party) -> list[Signable]:
    """The convention and the amendments this party has still to sign, whose text is ready."""
    columns = (Document.id, Document.template, Document.title, Document.template_version, Document.content_hash)
    documents = list(session.execute(select(*columns).where(Document.case_id == state.case_id, Document.template.in_(("convention", "amendment")))
                                     .order_by(Document.seq.desc())))  # fmt: skip
    # Only what the form shows and checks: the texts themselves (sealed) are not read, nor deciphered.
    offered = []
    if state.phase is Phase.CONVENTION and party in rules.required_parties(state) and party not in state.signatures:
        convention = next((d for d in documents if d.template == "convention"), None)
        if convention is not None:
            offered.append(Signable("convention", convention.title, convention.id, convention.template_version, convention.content_hash))
    for amendment in state.amendments:
        text = next((d for d in documents if d.template == "amendment" and f"n° {amendment.number} " in f"{d.title} "), None)
        if party in amendment.unsigned and text is not None:
            offered.append(Signable(f"amendment-{amendment.number}", text.title, text.id, text.template_version, text.content_hash,
                                    amendment.number))  # fmt: skip
    return offered
