"""The names people read for the programme's codes (sectors, modalities, statuses, ...), in their
language: for the pages and for the messages the services write (a bid's refusal says 框, not box).

A code without a name here (a sector a programme configured itself, say) is shown as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from market.i18n import N_, locale_of, translate

LABELS: dict[str, dict[str, str]] = {
    "sector": {
        "transport": N_("Transport"), "health": N_("Health"), "education": N_("Education"),
    },
    "modality": {
        "image": N_("Image"), "video": N_("Video"), "audio": N_("Speech and audio"),
        "text": N_("Text"), "point_cloud": N_("Point cloud"),
        "remote_sensing": N_("Remote sensing"), "medical_image": N_("Medical image"),
    },
    "annotation_type": {
        "classification": N_("Classification"), "bbox": N_("Bounding boxes"),
        "polygon": N_("Polygons"), "segmentation": N_("Segmentation"),
        "keypoint": N_("Keypoints"), "cuboid_3d": N_("3D cuboids"), "tracking": N_("Tracking"),
        "transcription": N_("Transcription"), "ner": N_("Named entities"),
        "relation": N_("Relations"), "qa_pair": N_("Question–answer pairs"),
    },
    "unit": {
        "item": N_("items"), "box": N_("boxes"), "frame": N_("frames"),
        "audio_minute": N_("audio minutes"), "kchar": N_("thousand characters"),
        "point_cloud_frame": N_("point-cloud frames"),
    },
    "status": {
        "draft": N_("Draft"), "published": N_("Open for bids"), "evaluating": N_("Evaluating"),
        "awarded": N_("Awarded"), "in_progress": N_("In delivery"), "completed": N_("Completed"),
        "cancelled": N_("Cancelled"), "unsuccessful": N_("Unsuccessful"),
    },
    "classification": {
        "general": N_("General data"), "important": N_("Important data"), "core": N_("Core data"),
    },
    "verification": {
        "pending": N_("Waiting for verification"), "verified": N_("Verified"),
        "suspended": N_("Suspended"),
    },
    "yes_no": {"true": N_("Yes"), "false": N_("No"), True: N_("Yes"), False: N_("No")},
    # Certifications by their names; international ones read the same in both languages.
    "certification": {"等保三级": N_("MLPS level 3 (classified protection)")},
    "profile_field": {
        "clearance": N_("Data security clearance"), "certifications": N_("Certifications"),
        "onsite_possible": N_("Can work on site"), "seats": N_("Annotation seats"),
    },
    "order_field": {
        "title": N_("Title"), "description": N_("Description"), "label_set": N_("Label set"),
        "budget_ceiling": N_("Budget ceiling"), "accuracy_target": N_("Accuracy target"),
        "sampling_level": N_("Sampling inspection level"),
        "data_classification": N_("Data classification"), "onsite_required": N_("On-site work"),
        "required_certifications": N_("Required certifications"), "splittable": N_("Splittable"),
        "max_vendors": N_("Most vendors"), "min_lot": N_("Smallest lot"),
        "scoring_weights": N_("Scoring weights"), "volume": N_("Volume"),
        "bidding_closes_at": N_("Bidding closes"), "delivery_deadline": N_("Delivery deadline"),
        "aql": N_("Acceptance quality limit (AQL)"),
    },
    "bid_status": {
        "submitted": N_("Submitted"), "withdrawn": N_("Withdrawn"), "awarded": N_("Awarded"),
        "rejected": N_("Not successful"), "lapsed": N_("Lapsed"),
    },
    "directory_sort": {
        "-published_at": N_("Newest first"), "published_at": N_("Oldest first"),
        "bidding_closes_at": N_("Closing soonest"), "-bidding_closes_at": N_("Closing latest"),
        "delivery_deadline": N_("Deadline soonest"), "-delivery_deadline": N_("Deadline latest"),
        "-budget_ceiling": N_("Largest budget"), "budget_ceiling": N_("Smallest budget"),
        "-volume": N_("Largest volume"), "volume": N_("Smallest volume"),
    },
    "contract_status": {
        "active": N_("In delivery"), "completed": N_("Completed"), "terminated": N_("Terminated"),
    },
    "lot_status": {
        "submitted": N_("Waiting for inspection"), "accepted": N_("Accepted"),
        "rejected": N_("Rejected at inspection"),
    },
    "severity": {"normal": N_("Normal"), "tightened": N_("Tightened"), "reduced": N_("Reduced")},
    "run_status": {
        "queued": N_("Queued"), "running": N_("Running"), "completed": N_("Completed"),
        "failed": N_("Failed"),
    },
    "run_trigger": {
        "api": N_("A coordinator"), "bidding-closed": N_("Bidding closed (automatic)"),
        "cli": N_("The command line"),
    },
    "run_phase": {
        "load": N_("reading the orders and bids"), "quality": N_("the quality model"),
        "solve": N_("the solver"), "store": N_("storing the proposals"),
    },
    "payment_status": {"due": N_("Due"), "overdue": N_("Overdue"), "paid": N_("Paid")},
    "dispute_status": {
        "open": N_("Waiting for a coordinator"), "upheld": N_("Rejection upheld"),
        "reinspection": N_("To be inspected again"),
    },
    "job_outcome": {
        "running": N_("Running"), "succeeded": N_("Succeeded"), "failed": N_("Failed"),
        "interrupted": N_("Interrupted (its scheduler stopped)"),
    },
    "job_trigger": {"schedule": N_("Scheduler"), "manual": N_("By hand (market jobs run)")},
    # What a job run counted (market.jobs.catalogue); a model's metrics keep their technical names.
    "job_count": {
        "closed": N_("orders closed"), "queued_runs": N_("runs queued"), "completed": N_("runs completed"),
        "failed": N_("runs failed"), "requeued": N_("runs requeued"), "orders": N_("orders"),
        "notified": N_("users notified"), "digests": N_("digests"), "sent": N_("e-mails sent"),
        "proposals": N_("proposal reminders"), "questions": N_("question reminders"),
        "closing": N_("closing reminders"), "verification": N_("verification reminders"),
        "lots": N_("lot reminders"), "idempotency_keys": N_("idempotency keys purged"),
        "api_tokens": N_("API tokens purged"), "email_tokens": N_("e-mail tokens purged"),
        "job_runs": N_("job runs purged"), "contracts": N_("contracts"), "payments": N_("payments"),
        "outcomes": N_("outcomes"), "version": N_("model version"), "kept_previous": N_("previous model kept"),
    },
    "mail_status": {
        "pending": N_("Waiting to be sent"), "sending": N_("Being sent"), "sent": N_("Sent"),
        "failed": N_("Refused (retried until given up)"),
        "unknown": N_("Unknown: its sender stopped while sending"),
    },
    "change_status": {
        "pending": N_("Waiting for review"), "approved": N_("Approved"), "rejected": N_("Rejected"),
        "withdrawn": N_("Withdrawn"), "superseded": N_("Replaced by a later request"),
    },
    "score_component": {
        "quality": N_("Quality"), "price": N_("Price"), "capacity": N_("Capacity fit"),
        "local": N_("Local preference"), "fairness": N_("Fairness"),
    },
    "allocation_status": {
        "proposed": N_("Waiting for a decision"), "approved": N_("Approved"), "rejected": N_("Rejected"),
        "superseded": N_("Superseded by a newer run"),
    },
    "result": {"awarded": N_("Awarded"), "not_awarded": N_("Not awarded"), "pending": N_("Pending")},
    "org_kind": {"agency": N_("Public agency"), "vendor": N_("Annotation firm"), "operator": N_("Platform operator")},
    "token_state": {"true": N_("Live tokens"), "false": N_("Revoked or expired")},
    "org_status": {"active": N_("Active"), "deactivated": N_("Deactivated")},
    # Each language by its own name, as a language menu shows it.
    "language": {"zh": "中文", "en": "English"},
    # What the objects whose state changes are called, in messages about a change not allowed.
    "object": {
        "order": N_("Order"), "bid": N_("Bid"), "allocation": N_("Proposed match"),
        "contract": N_("Contract"), "lot": N_("Delivery lot"), "dispute": N_("Dispute"),
        "change_request": N_("Change request"), "vendor": N_("Vendor"),
        "organization": N_("Organisation"),
    },
    "role": {
        "agency": N_("Agency"), "vendor": N_("Vendor"), "coordinator": N_("Coordinator"),
        "admin": N_("Administrator"),
    },
}


def label(code, kind: str, language: str | None) -> str:
    """What `code` of `kind` is called in `language`."""
    name = LABELS.get(kind, {}).get(code)
    return translate(language, name) if name else str(code)


@dataclass(frozen=True)
class Label:
    """A code in a message, shown by its name in the reader's language (`Label("published",
    "status")` reads 已发布 / Open for bids); several codes are joined as a list."""

    code: Any
    kind: str

    def said(self, language: str | None) -> str:
        if isinstance(self.code, list | tuple | frozenset | set):
            names = [label(code, self.kind, language) for code in self.code]
            return ("、" if locale_of(language) == "zh" else ", ").join(names)
        return label(self.code, self.kind, language)
