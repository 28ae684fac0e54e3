"""Compulsory verification (强制检定) as work: bookings, receipts, results, notices, work orders, inbox.

Owners book verification of their instruments with an authorised verifier; the verifier accepts
(a receipt, 受理回执) or declines, schedules, and records each instrument's result, which the
registry keeps and, on a pass, the certificate service signs; the regulator follows the flow and
reassigns. Each object's life is a state machine written once as data (:mod:`.machines`).
"""

from jiliang.verification.bookings import (
    BookingRequest,
    BookingView,
    ItemView,
    Verifier,
    act,
    create_booking,
    get_booking,
    list_bookings,
    verifiers_for,
    verifiers_for_instruments,
)
from jiliang.verification.inbox import Flow, Inbox, Waiting, flow, inbox
from jiliang.verification.machines import BOOKING, WORK_ORDER, Machine, Transition
from jiliang.verification.models import Booking, BookingItem, WorkOrderProgress
from jiliang.verification.orders import WorkOrderView, act_work_order, get_work_order, list_work_orders
from jiliang.verification.results import (
    MeasuredPoint,
    PointDecision,
    ResultInput,
    decide_points,
    lab_standards,
    record_result,
    standard_warnings,
)

__all__ = [
    "BOOKING",
    "WORK_ORDER",
    "Booking",
    "BookingItem",
    "BookingRequest",
    "BookingView",
    "Flow",
    "Inbox",
    "ItemView",
    "Machine",
    "MeasuredPoint",
    "PointDecision",
    "ResultInput",
    "Transition",
    "Verifier",
    "Waiting",
    "WorkOrderProgress",
    "WorkOrderView",
    "act",
    "act_work_order",
    "create_booking",
    "decide_points",
    "flow",
    "get_booking",
    "get_work_order",
    "inbox",
    "lab_standards",
    "list_bookings",
    "list_work_orders",
    "record_result",
    "standard_warnings",
    "verifiers_for",
    "verifiers_for_instruments",
]
