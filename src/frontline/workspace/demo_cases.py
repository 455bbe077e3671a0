# ruff: noqa: RUF001  (multilingual text: the letters are meant)
"""The demo cases: case settings, the seeds' own cases, and thousands of generated ones.

Pure data and pure functions - no database. A case is described as a :class:`CaseScript`: how it
was opened and every step of its life afterwards (customer messages, replies, notes with
@mentions, phone calls, status changes, escalation to technical support), each at a moment in
the past. ``case_writer`` turns scripts into rows: the seeds' cases by calling the cases
services step by step, the generated volume with a bulk writer that produces the same rows.

Everything random draws from the caller's ``random.Random``; the same seed gives the same cases.
Customers write in their own language (eight of them); agents answer in English, German,
Spanish or French, in English to the others.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from frontline.cases.businesstime import CalendarSnapshot, add_business_minutes, snapshot_of

from . import demo_data

# --- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategorySpec:
    name: str
    slug: str
    description: str


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("Delivery", "delivery", "Where is my order, delays, failed and damaged deliveries."),
    CategorySpec("Returns & refunds", "returns-refunds", "Return labels, exchanges and refunds."),
    CategorySpec("Account access", "account-access", "Sign-in problems and compromised accounts (seed 002)."),
    CategorySpec("Billing", "billing", "Invoices, double charges and payment questions."),
    CategorySpec("Product question", "product-question", "Availability, compatibility and how-to questions."),
    CategorySpec("Technical issue", "technical-issue", "Devices, firmware, apps and the web shop."),
    CategorySpec("Claims", "claims", "Replacements, reimbursements and goodwill with financial impact."),
)

#: (key, label, type) of the custom fields every case has (``Case.custom_fields[key]``).
CUSTOM_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("order_number", "Order number", "text"),
    ("product_sku", "Product SKU", "text"),
)

CALENDAR_NAME = "Berlin office hours"
CALENDAR_TIME_ZONE = "Europe/Berlin"
CALENDAR_HOURS = tuple((weekday, time(8), time(18)) for weekday in range(5))  # Mon-Fri 08:00-18:00


def easter(year: int) -> date:
    """Easter Sunday (Gregorian calendar; the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    x = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * x) // 451
    month = (h + x - 7 * m + 114) // 31
    day = (h + x - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def holidays(years: Iterable[int]) -> list[tuple[date, str]]:
    """The nationwide German public holidays of ``years``, by date."""
    days: list[tuple[date, str]] = []
    for year in years:
        sunday = easter(year)
        days += [
            (date(year, 1, 1), "Neujahr"),
            (sunday - timedelta(days=2), "Karfreitag"),
            (sunday + timedelta(days=1), "Ostermontag"),
            (date(year, 5, 1), "Tag der Arbeit"),
            (sunday + timedelta(days=39), "Christi Himmelfahrt"),
            (sunday + timedelta(days=50), "Pfingstmontag"),
            (date(year, 10, 3), "Tag der Deutschen Einheit"),
            (date(year, 12, 25), "1. Weihnachtstag"),
            (date(year, 12, 26), "2. Weihnachtstag"),
        ]
    return sorted(days)


def calendar_snapshot(now: datetime) -> CalendarSnapshot:
    """The office calendar as the SLA engine sees it (hours and holidays of last, this and next year)."""
    return snapshot_of(
        time_zone=CALENDAR_TIME_ZONE,
        hours=list(CALENDAR_HOURS),
        holidays=[day for day, _name in holidays(range(now.year - 1, now.year + 2))],
        name=CALENDAR_NAME,
    )


@dataclass(frozen=True)
class PolicySpec:
    name: str
    position: int
    priorities: tuple[str, ...]
    first_response_minutes: int
    next_response_minutes: int
    resolution_minutes: int
    warn_before_minutes: int


#: Normal work runs on office hours; urgent cases fall through to the migration's 24/7 "Default"
#: policy (first response within 24 hours, seed 002).
BUSINESS_HOURS_POLICY = PolicySpec(
    "Business hours", 100, ("low", "normal", "high"), 8 * 60, 8 * 60, 3 * 10 * 60, 60
)
ESCALATION_LEVELS = ((1, 0, "notify_lead"), (2, 240, "reassign_to_lead"), (3, 480, "notify_manager"))


@dataclass(frozen=True)
class QueueSpec:
    team: str  # slug
    mode: str
    capacity: int


QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec("customer-service", "round_robin", 25),
    QueueSpec("shipments", "load_based", 20),
    QueueSpec("tech", "manual", 25),
    QueueSpec("claims", "manual", 15),
)

#: Agents whose own limit differs from their queue's.
CAPACITIES = {"todd": 15, "kenji": 30, "sara": 20, "jonas": 30}
#: Who is at work when the demo starts (the rest are away or offline).
AVAILABILITY = {
    "isabella": "online",
    "thomas": "online",
    "sara": "online",
    "omar": "online",
    "todd": "online",
    "nadia": "online",
    "jonas": "online",
    "fatma": "online",
    "kenji": "away",
    "lucia": "online",
    "tomasz": "online",
    "ines": "online",
    "marek": "away",
    "hana": "online",
}


@dataclass(frozen=True)
class MacroSpec:
    owner: str
    name: str
    body: str
    scope: str  # personal / team / global
    team: str = ""  # slug, team macros
    set_status: str = ""
    add_tags: tuple[str, ...] = ()
    is_internal: bool = False


MACROS: tuple[MacroSpec, ...] = (
    MacroSpec(
        "isabella",
        "Thanks for your patience",
        "Hello {{ customer.first_name }},\n\nthank you for your patience with request "
        "{{ case.reference }}. We are on it and will get back to you within one business day.\n\n"
        "Kind regards,\n{{ agent.full_name }}",
        "global",
    ),
    MacroSpec(
        "isabella",
        "Confirm resolution",
        "Hello {{ customer.first_name }},\n\nwe believe request {{ case.reference }} "
        "(“{{ case.subject }}”) is solved. If anything is still not right, just reply to this message.\n\n"
        "{{ agent.full_name }}",
        "global",
        set_status="resolved",
    ),
    MacroSpec(
        "thomas",
        "Tracking update",
        "Hello {{ customer.first_name }},\n\nyour order {{ order.number }} is on its way; the carrier "
        "confirmed delivery within the next two business days. You can follow it on our tracking page.\n\n"
        "Best regards,\n{{ agent.full_name }} - Shipments",
        "team",
        team="shipments",
        set_status="waiting-on-customer",
        add_tags=("wismo",),
    ),
    MacroSpec(
        "thomas",
        "Delivery failed - rebooking",
        "Hello {{ customer.first_name }},\n\nthe carrier could not deliver order {{ order.number }}. "
        "We have rebooked the delivery for the next business day; no action is needed on your side.\n\n"
        "{{ agent.full_name }}",
        "team",
        team="shipments",
        add_tags=("delivery-exception",),
    ),
    MacroSpec(
        "isabella",
        "Identity check before account help",
        "Before we change anything on the account of {{ customer.full_name }}: identity verified with "
        "order number {{ order.number }} and postcode. Checked by {{ agent.first_name }}.",
        "team",
        team="customer-service",
        is_internal=True,
    ),
    MacroSpec(
        "isabella",
        "Replacement approved",
        "Hello {{ customer.first_name }},\n\nyour claim {{ case.reference }} has been approved: a "
        "replacement is on its way at no cost to you. You do not need to send the item back.\n\n"
        "{{ agent.full_name }}",
        "team",
        team="claims",
        set_status="resolved",
        add_tags=("claim-approved",),
    ),
    MacroSpec(
        "sara",
        "Password reset steps",
        "Hi {{ customer.first_name }},\n\n1. Open the sign-in page and choose “Forgot password”.\n"
        "2. Enter the email address of your account.\n3. The link is valid for 30 minutes; check your "
        "spam folder if it does not arrive.\n\nCase {{ case.reference }} stays open until you confirm.\n"
        "{{ agent.first_name }}",
        "personal",
    ),
    MacroSpec(
        "jonas",
        "Ask for proof of delivery",
        "Requested proof of delivery for {{ order.number }} from the carrier; follow up in 24 h.",
        "personal",
        is_internal=True,
    ),
)


# --- scripts ----------------------------------------------------------------------------------

OPEN = "open"
WAITING = "waiting-on-customer"
ON_HOLD = "on-hold"
RESOLVED = "resolved"
CLOSED = "closed"


@dataclass
class Step:
    """One thing that happens on a case, at ``at``.

    kind: ``receive`` (the customer writes), ``reply`` (public reply by ``by``), ``note``
    (internal note), ``call`` (phone call logged by ``by``), ``status`` (``by`` or the system sets
    ``status``), ``escalate`` (``by`` hands the case to technical support, ``body`` is the
    reason; ``assignee`` names a member there), ``assign`` (``by`` gives the case to ``assignee``).
    """

    at: datetime
    kind: str
    by: str = ""  # staff username; "" = the customer (receive) or the system (status)
    body: str = ""
    status: str = ""  # slug: with reply/status
    channel: str = ""  # receive: the channel the customer used
    direction: str = ""  # call
    duration: int = 0  # call, seconds
    outcome: str = ""  # call
    assignee: str = ""  # escalate / assign


@dataclass
class CaseScript:
    customer: int  # index into the customer list the writer is given
    subject: str
    channel: str
    priority: str
    category: str  # slug
    team: str  # slug
    created_at: datetime
    body: str = ""  # the first message ("" for phone cases: the first step logs the call)
    opened_by: str = ""  # staff username recording the case; "" = the customer / an inbound channel
    from_customer: bool = True
    assignee: str = ""  # given when the case is opened (status open at once)
    auto_assignee: str = ""  # the agent the team's queue handed it to on arrival
    auto_mode: str = ""
    tags: tuple[str, ...] = ()
    custom_fields: dict[str, Any] = field(default_factory=dict)
    reference: str = ""
    external_id: str = ""  # the first message's channel id (email Message-ID)
    steps: list[Step] = field(default_factory=list)

    @property
    def last_at(self) -> datetime:
        return self.steps[-1].at if self.steps else self.created_at


# --- the topics people write about ----------------------------------------------------------------

LANGUAGES = ("en", "de", "es", "fr", "tr", "pl", "ar", "ja")
AGENT_LANGUAGES = ("en", "de", "es", "fr")

Texts = dict[str, str]


@dataclass(frozen=True)
class Topic:
    key: str
    weight: int
    category: str
    team: str
    channels: tuple[str, ...]
    priorities: tuple[tuple[str, int], ...]
    subject: Texts  # by language; "en" always
    opening: Texts  # the customer's first message
    reply: Texts  # the agent's first answer (agent languages)
    customer_again: Texts  # the customer's second message
    solution: Texts  # the agent's resolving reply (agent languages)
    note: str = ""  # an internal note (English), may name {lead} / {colleague}
    escalate_share: float = 0.0  # share escalated to technical support
    tag: str = ""
    sku: tuple[str, ...] = ()


_NORMAL = (("low", 12), ("normal", 62), ("high", 19), ("urgent", 7))
_HIGH = (("normal", 45), ("high", 40), ("urgent", 15))

TOPICS: tuple[Topic, ...] = (
    Topic(
        "wismo",
        24,
        "delivery",
        "shipments",
        ("email", "phone", "chat", "portal", "web"),
        _NORMAL,
        subject={
            "en": "Where is my order {order}?",
            "de": "Wo bleibt meine Bestellung {order}?",
            "es": "¿Dónde está mi pedido {order}?",
            "fr": "Où en est ma commande {order} ?",
            "tr": "{order} numaralı siparişim nerede?",
            "pl": "Gdzie jest moje zamówienie {order}?",
            "ar": "أين طلبي {order}؟",
            "ja": "Chūmon {order} wa doko desu ka?",
        },
        opening={
            "en": "Hi, I ordered on {date} and the tracking page has not changed for three days. Order {order}. Can you check?",
            "de": "Hallo, ich habe am {date} bestellt und die Sendungsverfolgung zeigt seit drei Tagen nichts Neues. Bestellung {order}. Können Sie nachsehen?",
            "es": "Hola, hice el pedido el {date} y el seguimiento no cambia desde hace tres días. Pedido {order}. ¿Pueden revisarlo?",
            "fr": "Bonjour, j'ai commandé le {date} et le suivi n'a pas bougé depuis trois jours. Commande {order}. Pouvez-vous vérifier ?",
            "tr": "Merhaba, {date} tarihinde sipariş verdim, kargo takibi üç gündür değişmedi. Sipariş {order}. Kontrol edebilir misiniz?",
            "pl": "Dzień dobry, zamówiłem {date}, a status przesyłki nie zmienia się od trzech dni. Zamówienie {order}. Czy mogą Państwo sprawdzić?",
            "ar": "مرحباً، طلبت بتاريخ {date} ولم يتغير التتبع منذ ثلاثة أيام. رقم الطلب {order}. هل يمكنكم التحقق؟",
            "ja": "{date} ni chūmon shimashita ga, mikka-kan tsuiseki ga kawatte imasen. Chūmon {order}. Kakunin shite itadakemasu ka?",
        },
        reply={
            "en": "Hello {first},\n\nyour parcel {tracking} is with {carrier} and is due in {days} business days. I will keep an eye on it.\n\n{agent}",
            "de": "Hallo {first},\n\nIhr Paket {tracking} ist bei {carrier} und kommt voraussichtlich in {days} Werktagen an. Ich behalte es im Blick.\n\n{agent}",
            "es": "Hola {first}:\n\nsu paquete {tracking} está con {carrier} y llegará en {days} días laborables. Lo sigo de cerca.\n\n{agent}",
            "fr": "Bonjour {first},\n\nvotre colis {tracking} est chez {carrier} et arrivera sous {days} jours ouvrés. Je le surveille.\n\n{agent}",
        },
        customer_again={
            "en": "Thanks. It still says 'in transit' - is that normal?",
            "de": "Danke. Dort steht immer noch 'in Zustellung' - ist das normal?",
            "es": "Gracias. Sigue poniendo 'en tránsito', ¿es normal?",
            "fr": "Merci. Il est toujours indiqué « en transit », c'est normal ?",
            "tr": "Teşekkürler. Hâlâ 'yolda' yazıyor, bu normal mi?",
            "pl": "Dziękuję. Nadal widnieje 'w drodze' - czy to normalne?",
            "ar": "شكراً. ما زال مكتوباً 'قيد الشحن'، هل هذا طبيعي؟",
            "ja": "Arigatō gozaimasu. Mada 'haisō-chū' no mama desu ga, daijōbu desu ka?",
        },
        solution={
            "en": "Good news: {carrier} scanned the parcel at your local depot this morning; it goes out for delivery tomorrow.\n\n{agent}",
            "de": "Gute Nachricht: {carrier} hat das Paket heute Morgen im Zustelldepot erfasst; es wird morgen zugestellt.\n\n{agent}",
            "es": "Buenas noticias: {carrier} registró el paquete esta mañana en su centro local; mañana sale a reparto.\n\n{agent}",
            "fr": "Bonne nouvelle : {carrier} a scanné le colis ce matin à votre dépôt local ; il part en livraison demain.\n\n{agent}",
        },
        note="Carrier portal shows no scan since the hub. @{lead} shall we open a trace with the carrier if nothing moves by tomorrow?",
        tag="wismo",
    ),
    Topic(
        "delivery_failed",
        9,
        "delivery",
        "shipments",
        ("phone", "email", "chat"),
        _HIGH,
        subject={
            "en": "Delivery attempt failed for {order} - nobody told me",
            "de": "Zustellung von {order} fehlgeschlagen - niemand hat mich informiert",
            "es": "Entrega fallida del pedido {order} y nadie me avisó",
            "fr": "Échec de livraison pour {order} - personne ne m'a prévenu",
            "tr": "{order} teslimatı başarısız oldu, kimse haber vermedi",
            "pl": "Nieudana dostawa zamówienia {order} - nikt mnie nie poinformował",
            "ar": "فشل توصيل الطلب {order} ولم يخبرني أحد",
            "ja": "{order} no haitatsu ga shippai shimashita",
        },
        opening={
            "en": "The tracking says 'delivery failed - recipient absent' but I was at home all day. Order {order}, {carrier}.",
            "de": "Laut Sendungsverfolgung 'Zustellung fehlgeschlagen - Empfänger nicht angetroffen', aber ich war den ganzen Tag zu Hause. Bestellung {order}, {carrier}.",
            "es": "El seguimiento dice 'entrega fallida - destinatario ausente', pero estuve en casa todo el día. Pedido {order}, {carrier}.",
            "fr": "Le suivi indique « échec de livraison - destinataire absent » alors que j'étais chez moi toute la journée. Commande {order}, {carrier}.",
            "tr": "Takipte 'teslim edilemedi - alıcı yok' yazıyor ama bütün gün evdeydim. Sipariş {order}, {carrier}.",
            "pl": "Status mówi 'nieudana dostawa - brak odbiorcy', a byłam cały dzień w domu. Zamówienie {order}, {carrier}.",
            "ar": "يظهر في التتبع 'فشل التوصيل - المستلم غير موجود' لكنني كنت في المنزل طوال اليوم. الطلب {order}، {carrier}.",
            "ja": "'Fuzai no tame haitatsu dekimasen deshita' to arimasu ga, ichinichi-jū ie ni imashita. Chūmon {order}, {carrier}.",
        },
        reply={
            "en": "Hello {first},\n\nI am sorry about that. I have rebooked the delivery with {carrier} for tomorrow between 8:00 and 12:00.\n\n{agent}",
            "de": "Hallo {first},\n\ndas tut mir leid. Ich habe die Zustellung bei {carrier} für morgen zwischen 8 und 12 Uhr neu gebucht.\n\n{agent}",
            "es": "Hola {first}:\n\nlo siento mucho. He reprogramado la entrega con {carrier} para mañana entre las 8:00 y las 12:00.\n\n{agent}",
            "fr": "Bonjour {first},\n\nje suis désolé. J'ai reprogrammé la livraison avec {carrier} pour demain entre 8 h et 12 h.\n\n{agent}",
        },
        customer_again={
            "en": "Can they leave it with my neighbour at number 12 instead?",
            "de": "Kann der Fahrer es stattdessen bei meinem Nachbarn in Nummer 12 abgeben?",
            "es": "¿Pueden dejarlo con mi vecino del número 12?",
            "fr": "Peuvent-ils plutôt le laisser chez mon voisin au numéro 12 ?",
            "tr": "Bunun yerine 12 numaradaki komşuma bırakabilirler mi?",
            "pl": "Czy kurier może zostawić paczkę u sąsiada pod numerem 12?",
            "ar": "هل يمكنهم تركه عند جاري في المنزل رقم 12؟",
            "ja": "Kawari ni 12-ban no tonari no hito ni azukete moraemasu ka?",
        },
        solution={
            "en": "Done - {carrier} has the neighbour instruction and confirmed delivery for tomorrow morning.\n\n{agent}",
            "de": "Erledigt - {carrier} hat die Nachbarschaftsabgabe hinterlegt und die Zustellung für morgen früh bestätigt.\n\n{agent}",
            "es": "Hecho: {carrier} tiene la instrucción del vecino y confirma la entrega mañana por la mañana.\n\n{agent}",
            "fr": "C'est fait : {carrier} a l'instruction pour le voisin et confirme la livraison demain matin.\n\n{agent}",
        },
        note="Second failed attempt this week on this route. @{lead} flagging for the carrier review.",
        tag="delivery-exception",
    ),
    Topic(
        "damaged",
        4,
        "claims",
        "claims",
        ("email", "portal"),
        _HIGH,
        subject={
            "en": "Parcel arrived damaged - {product}",
            "de": "Paket beschädigt angekommen - {product}",
            "es": "El paquete llegó dañado - {product}",
            "fr": "Colis arrivé endommagé - {product}",
            "tr": "Paket hasarlı geldi - {product}",
            "pl": "Paczka dotarła uszkodzona - {product}",
            "ar": "وصل الطرد تالفاً - {product}",
            "ja": "Nimotsu ga hason shite todokimashita - {product}",
        },
        opening={
            "en": "The box was crushed and the {product} has a cracked housing. Photos attached to my portal request. Order {order}.",
            "de": "Der Karton war eingedrückt und das Gehäuse von {product} ist gerissen. Bestellung {order}.",
            "es": "La caja llegó aplastada y la carcasa del {product} está rota. Pedido {order}.",
            "fr": "Le carton était écrasé et le boîtier du {product} est fissuré. Commande {order}.",
            "tr": "Kutu ezilmişti ve {product} kasası çatlak. Sipariş {order}.",
            "pl": "Karton był zgnieciony, a obudowa {product} jest pęknięta. Zamówienie {order}.",
            "ar": "كان الصندوق مسحوقاً وهيكل {product} متشقق. الطلب {order}.",
            "ja": "Hako ga tsubure, {product} no kēsu ni hibi ga arimasu. Chūmon {order}.",
        },
        reply={
            "en": "Hello {first},\n\nthank you for the photos. I have opened a claim with {carrier} and asked our senior specialist to approve a replacement.\n\n{agent}",
            "de": "Hallo {first},\n\ndanke für die Fotos. Ich habe bei {carrier} eine Schadensmeldung eröffnet und die Freigabe für einen Ersatz angefragt.\n\n{agent}",
            "es": "Hola {first}:\n\ngracias por las fotos. He abierto una reclamación con {carrier} y he pedido la aprobación de un reemplazo.\n\n{agent}",
            "fr": "Bonjour {first},\n\nmerci pour les photos. J'ai ouvert une réclamation auprès de {carrier} et demandé l'accord pour un remplacement.\n\n{agent}",
        },
        customer_again={
            "en": "Do I need to send the broken one back?",
            "de": "Muss ich das kaputte Gerät zurückschicken?",
            "es": "¿Tengo que devolver el que está roto?",
            "fr": "Dois-je renvoyer celui qui est cassé ?",
            "tr": "Bozuk olanı geri göndermem gerekiyor mu?",
            "pl": "Czy muszę odesłać uszkodzony egzemplarz?",
            "ar": "هل يجب أن أعيد القطعة التالفة؟",
            "ja": "Kowareta mono wa henpin suru hitsuyō ga arimasu ka?",
        },
        solution={
            "en": "The replacement is approved and ships today; no need to return the damaged one.\n\n{agent}",
            "de": "Der Ersatz ist freigegeben und geht heute raus; das beschädigte Gerät müssen Sie nicht zurückschicken.\n\n{agent}",
            "es": "El reemplazo está aprobado y sale hoy; no hace falta devolver el dañado.\n\n{agent}",
            "fr": "Le remplacement est approuvé et part aujourd'hui ; inutile de renvoyer l'article endommagé.\n\n{agent}",
        },
        note="Claim with financial impact: replacement {amount}. @isabella please approve (within your limit).",
        tag="claim",
    ),
    Topic(
        "return_label",
        11,
        "returns-refunds",
        "customer-service",
        ("email", "portal", "chat"),
        _NORMAL,
        subject={
            "en": "Wrong size - how do I return order {order}?",
            "de": "Falsche Größe - wie kann ich {order} zurückschicken?",
            "es": "Talla equivocada - ¿cómo devuelvo el pedido {order}?",
            "fr": "Mauvaise taille - comment retourner la commande {order} ?",
            "tr": "Yanlış beden - {order} siparişini nasıl iade ederim?",
            "pl": "Zły rozmiar - jak zwrócić zamówienie {order}?",
            "ar": "مقاس خاطئ - كيف أعيد الطلب {order}؟",
            "ja": "Saizu chigai - {order} no henpin hōhō wo oshiete kudasai",
        },
        opening={
            "en": "The jacket from order {order} is too small. I would like to exchange it for one size larger.",
            "de": "Die Jacke aus Bestellung {order} ist zu klein. Ich möchte sie gegen eine Nummer größer tauschen.",
            "es": "La chaqueta del pedido {order} me queda pequeña. Quiero cambiarla por una talla más.",
            "fr": "La veste de la commande {order} est trop petite. Je voudrais l'échanger contre la taille au-dessus.",
            "tr": "{order} siparişindeki ceket küçük geldi. Bir beden büyüğüyle değiştirmek istiyorum.",
            "pl": "Kurtka z zamówienia {order} jest za mała. Chciałabym wymienić ją na większy rozmiar.",
            "ar": "السترة من الطلب {order} صغيرة. أريد استبدالها بمقاس أكبر.",
            "ja": "Chūmon {order} no jaketto ga chiisai desu. Hitotsu ue no saizu ni kōkan shitai desu.",
        },
        reply={
            "en": "Hello {first},\n\nI have sent a prepaid return label to your email. Once the parcel is scanned we ship the larger size.\n\n{agent}",
            "de": "Hallo {first},\n\nich habe Ihnen ein frankiertes Rücksendeetikett per E-Mail geschickt. Sobald das Paket gescannt ist, senden wir die größere Größe.\n\n{agent}",
            "es": "Hola {first}:\n\nle he enviado por correo una etiqueta de devolución prepagada. En cuanto se escanee el paquete, enviamos la talla más grande.\n\n{agent}",
            "fr": "Bonjour {first},\n\nje vous ai envoyé une étiquette de retour prépayée par e-mail. Dès que le colis est scanné, nous expédions la taille au-dessus.\n\n{agent}",
        },
        customer_again={
            "en": "I dropped the parcel off at the post office today.",
            "de": "Ich habe das Paket heute bei der Post abgegeben.",
            "es": "Hoy he dejado el paquete en correos.",
            "fr": "J'ai déposé le colis à la poste aujourd'hui.",
            "tr": "Paketi bugün kargoya verdim.",
            "pl": "Nadałam dziś paczkę na poczcie.",
            "ar": "سلمت الطرد لمكتب البريد اليوم.",
            "ja": "Kyō yūbinkyoku de nimotsu wo dashimashita.",
        },
        solution={
            "en": "Thank you - the return is scanned and the new size ships today with {carrier}.\n\n{agent}",
            "de": "Danke - die Rücksendung ist erfasst und die neue Größe geht heute mit {carrier} raus.\n\n{agent}",
            "es": "Gracias: la devolución está registrada y la nueva talla sale hoy con {carrier}.\n\n{agent}",
            "fr": "Merci - le retour est enregistré et la nouvelle taille part aujourd'hui avec {carrier}.\n\n{agent}",
        },
        tag="exchange",
    ),
    Topic(
        "refund_missing",
        7,
        "returns-refunds",
        "customer-service",
        ("email", "phone", "portal"),
        _NORMAL,
        subject={
            "en": "Refund for returned {product} not received",
            "de": "Erstattung für zurückgeschickte {product} fehlt",
            "es": "No he recibido el reembolso del {product} devuelto",
            "fr": "Remboursement du {product} retourné non reçu",
            "tr": "İade ettiğim {product} için para iadesi gelmedi",
            "pl": "Nie otrzymałem zwrotu pieniędzy za {product}",
            "ar": "لم أستلم المبلغ المسترد لـ {product}",
            "ja": "Henpin shita {product} no henkin ga mada desu",
        },
        opening={
            "en": "I returned the {product} two weeks ago (order {order}) and the refund of {amount} is still not on my card.",
            "de": "Ich habe {product} vor zwei Wochen zurückgeschickt (Bestellung {order}), die Erstattung über {amount} ist noch nicht da.",
            "es": "Devolví el {product} hace dos semanas (pedido {order}) y el reembolso de {amount} aún no aparece.",
            "fr": "J'ai renvoyé le {product} il y a deux semaines (commande {order}) et le remboursement de {amount} n'est toujours pas arrivé.",
            "tr": "{product} ürününü iki hafta önce iade ettim (sipariş {order}), {amount} iadesi hâlâ kartıma yansımadı.",
            "pl": "Zwróciłem {product} dwa tygodnie temu (zamówienie {order}), a zwrot {amount} wciąż nie dotarł.",
            "ar": "أعدت {product} قبل أسبوعين (الطلب {order}) ولم يصل المبلغ {amount} إلى بطاقتي بعد.",
            "ja": "Ni-shūkan mae ni {product} wo henpin shimashita ga (chūmon {order}), {amount} no henkin ga mada desu.",
        },
        reply={
            "en": "Hello {first},\n\nthe refund of {amount} for {order} was released today; banks need 3-5 business days to show it.\n\n{agent}",
            "de": "Hallo {first},\n\ndie Erstattung über {amount} für {order} wurde heute angewiesen; Banken brauchen 3-5 Werktage.\n\n{agent}",
            "es": "Hola {first}:\n\nel reembolso de {amount} del pedido {order} se ha emitido hoy; los bancos tardan 3-5 días laborables.\n\n{agent}",
            "fr": "Bonjour {first},\n\nle remboursement de {amount} pour {order} a été émis aujourd'hui ; les banques mettent 3 à 5 jours ouvrés.\n\n{agent}",
        },
        customer_again={
            "en": "It is there now, thank you!",
            "de": "Jetzt ist es da, vielen Dank!",
            "es": "¡Ya lo tengo, gracias!",
            "fr": "C'est arrivé, merci !",
            "tr": "Şimdi geldi, teşekkürler!",
            "pl": "Już jest, dziękuję!",
            "ar": "وصل الآن، شكراً!",
            "ja": "Henkin sarete imashita. Arigatō gozaimasu!",
        },
        solution={
            "en": "Glad to hear it. I am closing this request.\n\n{agent}",
            "de": "Das freut mich. Ich schließe die Anfrage.\n\n{agent}",
            "es": "Me alegro. Cierro la solicitud.\n\n{agent}",
            "fr": "Ravi de l'entendre. Je clôture la demande.\n\n{agent}",
        },
        note="Return scanned at the warehouse on {date}; refund was stuck in the payment provider batch. @{colleague} FYI for the similar cases today.",
        tag="refund",
    ),
    Topic(
        "billing",
        5,
        "billing",
        "customer-service",
        ("email", "portal"),
        _NORMAL,
        subject={
            "en": "Charged twice for order {order}",
            "de": "Doppelt abgebucht für Bestellung {order}",
            "es": "Me han cobrado dos veces el pedido {order}",
            "fr": "Débité deux fois pour la commande {order}",
            "tr": "{order} siparişi için iki kez ücret alındı",
            "pl": "Podwójne obciążenie za zamówienie {order}",
            "ar": "تم خصم المبلغ مرتين للطلب {order}",
            "ja": "Chūmon {order} ga nijū ni seikyū saremashita",
        },
        opening={
            "en": "My card statement shows {amount} twice for order {order}. Please refund the duplicate.",
            "de": "Auf meiner Kreditkartenabrechnung steht {amount} zweimal für Bestellung {order}. Bitte erstatten Sie den doppelten Betrag.",
            "es": "En mi extracto aparece {amount} dos veces por el pedido {order}. Por favor, devuelvan el cargo duplicado.",
            "fr": "Mon relevé affiche {amount} deux fois pour la commande {order}. Merci de rembourser le doublon.",
            "tr": "Kart ekstremde {order} siparişi için {amount} iki kez görünüyor. Lütfen fazla tutarı iade edin.",
            "pl": "Na wyciągu widzę {amount} dwa razy za zamówienie {order}. Proszę o zwrot podwójnej kwoty.",
            "ar": "يظهر في كشف حسابي مبلغ {amount} مرتين للطلب {order}. أرجو استرداد المبلغ المكرر.",
            "ja": "Kādo meisai ni chūmon {order} no {amount} ga ni-kai arimasu. Chōfuku-bun no henkin wo onegai shimasu.",
        },
        reply={
            "en": "Hello {first},\n\nyou are right: the second charge was a pre-authorisation that was not released. It is cancelled now and disappears within 5 days.\n\n{agent}",
            "de": "Hallo {first},\n\nSie haben recht: Die zweite Buchung war eine nicht freigegebene Vorautorisierung. Sie ist storniert und verschwindet innerhalb von 5 Tagen.\n\n{agent}",
            "es": "Hola {first}:\n\ntiene razón: el segundo cargo era una preautorización no liberada. Ya está anulada y desaparecerá en 5 días.\n\n{agent}",
            "fr": "Bonjour {first},\n\nvous avez raison : le second débit était une pré-autorisation non libérée. Elle est annulée et disparaîtra sous 5 jours.\n\n{agent}",
        },
        customer_again={
            "en": "OK, I will check next week.",
            "de": "Gut, ich schaue nächste Woche nach.",
            "es": "Vale, lo miraré la semana que viene.",
            "fr": "D'accord, je vérifierai la semaine prochaine.",
            "tr": "Tamam, gelecek hafta kontrol ederim.",
            "pl": "Dobrze, sprawdzę w przyszłym tygodniu.",
            "ar": "حسناً، سأتحقق الأسبوع القادم.",
            "ja": "Wakarimashita. Raishū kakunin shimasu.",
        },
        solution={
            "en": "The pre-authorisation has been released by the bank. Sorry for the trouble.\n\n{agent}",
            "de": "Die Vorautorisierung wurde von der Bank freigegeben. Entschuldigen Sie die Umstände.\n\n{agent}",
            "es": "El banco ya ha liberado la preautorización. Disculpe las molestias.\n\n{agent}",
            "fr": "La banque a libéré la pré-autorisation. Désolé pour le désagrément.\n\n{agent}",
        },
        note="Payment provider shows a second pre-auth, not a capture. @{lead} third one today - is the checkout retrying?",
        tag="billing",
    ),
    Topic(
        "account_access",
        6,
        "account-access",
        "customer-service",
        ("portal", "phone", "email"),
        _HIGH,
        subject={
            "en": "Cannot log in - password reset link does not arrive",
            "de": "Kann mich nicht anmelden - Link zum Zurücksetzen kommt nicht an",
            "es": "No puedo iniciar sesión - no llega el enlace para restablecer la contraseña",
            "fr": "Impossible de me connecter - le lien de réinitialisation n'arrive pas",
            "tr": "Giriş yapamıyorum - şifre sıfırlama bağlantısı gelmiyor",
            "pl": "Nie mogę się zalogować - link do resetu hasła nie dochodzi",
            "ar": "لا أستطيع تسجيل الدخول - رابط إعادة تعيين كلمة المرور لا يصل",
            "ja": "Roguin dekimasen - pasuwādo saisettei no rinku ga todokimasen",
        },
        opening={
            "en": "I tried to sign in five times and now my account is locked. The password reset email never arrives.",
            "de": "Ich habe fünfmal versucht, mich anzumelden, jetzt ist mein Konto gesperrt. Die E-Mail zum Zurücksetzen kommt nie an.",
            "es": "He intentado entrar cinco veces y ahora mi cuenta está bloqueada. El correo para restablecer la contraseña no llega.",
            "fr": "J'ai essayé de me connecter cinq fois et mon compte est bloqué. L'e-mail de réinitialisation n'arrive jamais.",
            "tr": "Beş kez giriş yapmayı denedim, hesabım kilitlendi. Şifre sıfırlama e-postası hiç gelmiyor.",
            "pl": "Próbowałam zalogować się pięć razy i konto jest zablokowane. E-mail do resetu hasła nie przychodzi.",
            "ar": "حاولت تسجيل الدخول خمس مرات والآن حسابي مقفل. رسالة إعادة تعيين كلمة المرور لا تصل أبداً.",
            "ja": "Go-kai roguin wo tameshite akaunto ga rokku saremashita. Saisettei mēru ga todokimasen.",
        },
        reply={
            "en": "Hello {first},\n\nbefore I can change anything on your account: please confirm the order number of your last purchase and your postcode.\n\n{agent}",
            "de": "Hallo {first},\n\nbevor ich etwas an Ihrem Konto ändere: Bitte nennen Sie mir die Bestellnummer Ihres letzten Einkaufs und Ihre Postleitzahl.\n\n{agent}",
            "es": "Hola {first}:\n\nantes de cambiar nada en su cuenta, confírmeme el número de su último pedido y su código postal.\n\n{agent}",
            "fr": "Bonjour {first},\n\navant toute modification de votre compte, merci de me confirmer le numéro de votre dernière commande et votre code postal.\n\n{agent}",
        },
        customer_again={
            "en": "My last order was {order}, postcode as on the account.",
            "de": "Meine letzte Bestellung war {order}, die Postleitzahl wie im Konto.",
            "es": "Mi último pedido fue {order}, el código postal es el de la cuenta.",
            "fr": "Ma dernière commande était {order}, le code postal est celui du compte.",
            "tr": "Son siparişim {order}, posta kodu hesaptaki gibi.",
            "pl": "Moje ostatnie zamówienie to {order}, kod pocztowy jak w koncie.",
            "ar": "آخر طلب لي كان {order}، والرمز البريدي كما في الحساب.",
            "ja": "Saigo no chūmon wa {order} desu. Yūbin bangō wa tōroku no tōri desu.",
        },
        solution={
            "en": "Your account is unlocked and a new reset link is on its way from our new mail server. Please tell us if you can sign in.\n\n{agent}",
            "de": "Ihr Konto ist entsperrt und ein neuer Link kommt von unserem neuen Mailserver. Geben Sie uns bitte Bescheid, ob die Anmeldung klappt.\n\n{agent}",
            "es": "Su cuenta está desbloqueada y le llega un nuevo enlace desde nuestro nuevo servidor de correo. Díganos si puede entrar.\n\n{agent}",
            "fr": "Votre compte est débloqué et un nouveau lien part de notre nouveau serveur de messagerie. Dites-nous si vous pouvez vous connecter.\n\n{agent}",
        },
        note="Identity verified: order number and postcode match the account. Reset mails bounce - needs technical support.",
        escalate_share=0.7,
        tag="account",
    ),
    Topic(
        "product_question",
        10,
        "product-question",
        "customer-service",
        ("chat", "email", "social", "web"),
        (("low", 30), ("normal", 62), ("high", 8)),
        subject={
            "en": "Does the {product} work with my phone?",
            "de": "Funktioniert {product} mit meinem Handy?",
            "es": "¿El {product} funciona con mi móvil?",
            "fr": "Le {product} fonctionne-t-il avec mon téléphone ?",
            "tr": "{product} telefonumla çalışır mı?",
            "pl": "Czy {product} działa z moim telefonem?",
            "ar": "هل يعمل {product} مع هاتفي؟",
            "ja": "{product} wa watashi no sumaho de tsukaemasu ka?",
        },
        opening={
            "en": "I have a Nova 12 phone. Will the {product} connect to it, and does it support fast charging?",
            "de": "Ich habe ein Nova 12. Lässt sich {product} damit verbinden und unterstützt es Schnellladen?",
            "es": "Tengo un Nova 12. ¿Se conecta el {product} y admite carga rápida?",
            "fr": "J'ai un Nova 12. Le {product} s'y connecte-t-il et gère-t-il la charge rapide ?",
            "tr": "Nova 12 telefonum var. {product} bağlanır mı, hızlı şarjı destekliyor mu?",
            "pl": "Mam telefon Nova 12. Czy {product} się z nim połączy i czy obsługuje szybkie ładowanie?",
            "ar": "لدي هاتف Nova 12. هل يتصل به {product} وهل يدعم الشحن السريع؟",
            "ja": "Nova 12 wo tsukatte imasu. {product} wa setsuzoku dekimasu ka? Kyūsoku jūden ni taiō shite imasu ka?",
        },
        reply={
            "en": "Hello {first},\n\nyes: the {product} works with the Nova 12 over Bluetooth 5.3; fast charging needs the 30 W adapter.\n\n{agent}",
            "de": "Hallo {first},\n\nja: {product} funktioniert per Bluetooth 5.3 mit dem Nova 12; Schnellladen braucht das 30-W-Netzteil.\n\n{agent}",
            "es": "Hola {first}:\n\nsí: el {product} funciona con el Nova 12 por Bluetooth 5.3; la carga rápida necesita el adaptador de 30 W.\n\n{agent}",
            "fr": "Bonjour {first},\n\noui : le {product} fonctionne avec le Nova 12 en Bluetooth 5.3 ; la charge rapide demande l'adaptateur 30 W.\n\n{agent}",
        },
        customer_again={
            "en": "Great, is the adapter included?",
            "de": "Super, ist das Netzteil dabei?",
            "es": "Genial, ¿viene incluido el adaptador?",
            "fr": "Super, l'adaptateur est-il inclus ?",
            "tr": "Harika, adaptör kutuda var mı?",
            "pl": "Super, czy zasilacz jest w zestawie?",
            "ar": "رائع، هل المحول مرفق؟",
            "ja": "Ii desu ne. Adaputā wa fuzoku shite imasu ka?",
        },
        solution={
            "en": "It is not in the box, but it is 20% off this week with code CHARGE20.\n\n{agent}",
            "de": "Es liegt nicht bei, ist aber diese Woche mit dem Code CHARGE20 20 % günstiger.\n\n{agent}",
            "es": "No viene en la caja, pero esta semana tiene un 20 % de descuento con el código CHARGE20.\n\n{agent}",
            "fr": "Il n'est pas fourni, mais il est à -20 % cette semaine avec le code CHARGE20.\n\n{agent}",
        },
        tag="presales",
    ),
    Topic(
        "headphones_stock",
        6,
        "product-question",
        "customer-service",
        ("chat", "social", "email"),
        (("low", 20), ("normal", 75), ("high", 5)),
        subject={
            "en": "Is the {headphones} from the promotion still in stock?",
            "de": "Sind die {headphones} aus der Aktion noch auf Lager?",
            "es": "¿Quedan {headphones} de la promoción?",
            "fr": "Le {headphones} en promotion est-il encore en stock ?",
            "tr": "Kampanyadaki {headphones} stokta var mı?",
            "pl": "Czy {headphones} z promocji są jeszcze dostępne?",
            "ar": "هل {headphones} من العرض ما زالت متوفرة؟",
            "ja": "Sēru no {headphones} wa mada zaiko ga arimasu ka?",
        },
        opening={
            "en": "I saw the promotion on the {headphones}. Can I still get them delivered before the weekend?",
            "de": "Ich habe die Aktion für {headphones} gesehen. Bekomme ich sie noch vor dem Wochenende?",
            "es": "He visto la promoción de los {headphones}. ¿Me llegan antes del fin de semana?",
            "fr": "J'ai vu la promotion sur le {headphones}. Puis-je encore être livré avant le week-end ?",
            "tr": "{headphones} kampanyasını gördüm. Hafta sonundan önce elime ulaşır mı?",
            "pl": "Widziałem promocję na {headphones}. Czy dostanę je przed weekendem?",
            "ar": "رأيت العرض على {headphones}. هل يمكن أن تصلني قبل عطلة نهاية الأسبوع؟",
            "ja": "{headphones} no sēru wo mimashita. Shūmatsu made ni todokimasu ka?",
        },
        reply={
            "en": "Hello {first},\n\nstock is low but we still have units for immediate shipping; order today and they arrive in {days} days.\n\n{agent}",
            "de": "Hallo {first},\n\nder Bestand ist knapp, aber sofort lieferbar; bestellen Sie heute, dann sind sie in {days} Tagen bei Ihnen.\n\n{agent}",
            "es": "Hola {first}:\n\nquedan pocas unidades pero se envían de inmediato; si pide hoy, llegan en {days} días.\n\n{agent}",
            "fr": "Bonjour {first},\n\nle stock est faible mais expédiable immédiatement ; commandez aujourd'hui, livraison sous {days} jours.\n\n{agent}",
        },
        customer_again={
            "en": "Ordered, thanks!",
            "de": "Bestellt, danke!",
            "es": "¡Pedido hecho, gracias!",
            "fr": "Commandé, merci !",
            "tr": "Sipariş verdim, teşekkürler!",
            "pl": "Zamówione, dziękuję!",
            "ar": "تم الطلب، شكراً!",
            "ja": "Chūmon shimashita. Arigatō!",
        },
        solution={
            "en": "Enjoy them!\n\n{agent}",
            "de": "Viel Freude damit!\n\n{agent}",
            "es": "¡Que los disfrute!\n\n{agent}",
            "fr": "Profitez-en bien !\n\n{agent}",
        },
        tag="promotion",
        sku=("AS-X2-BLK", "AS-X2-WHT"),
    ),
    Topic(
        "technical_issue",
        8,
        "technical-issue",
        "tech",
        ("email", "portal", "web"),
        _NORMAL,
        subject={
            "en": "{product} does not pair after the update",
            "de": "{product} koppelt nach dem Update nicht mehr",
            "es": "El {product} no se empareja tras la actualización",
            "fr": "Le {product} ne s'appaire plus après la mise à jour",
            "tr": "{product} güncellemeden sonra eşleşmiyor",
            "pl": "{product} nie paruje się po aktualizacji",
            "ar": "{product} لا يقترن بعد التحديث",
            "ja": "Appudēto-go, {product} ga pea-ringu dekimasen",
        },
        opening={
            "en": "Since the firmware update yesterday the {product} no longer pairs; the light blinks red three times.",
            "de": "Seit dem Firmware-Update gestern koppelt {product} nicht mehr; die LED blinkt dreimal rot.",
            "es": "Desde la actualización de ayer el {product} no se empareja; la luz parpadea en rojo tres veces.",
            "fr": "Depuis la mise à jour d'hier, le {product} ne s'appaire plus ; le voyant clignote trois fois en rouge.",
            "tr": "Dünkü güncellemeden beri {product} eşleşmiyor; ışık üç kez kırmızı yanıp sönüyor.",
            "pl": "Od wczorajszej aktualizacji {product} się nie paruje; dioda miga trzy razy na czerwono.",
            "ar": "منذ تحديث البرنامج أمس لم يعد {product} يقترن؛ الضوء يومض بالأحمر ثلاث مرات.",
            "ja": "Kinō no fāmuwea kōshin kara {product} ga tsunagarimasen. Akai ranpu ga san-kai tenmetsu shimasu.",
        },
        reply={
            "en": "Hello {first},\n\nplease hold the button for 15 seconds to reset it, then pair again. Firmware 2.4.1 fixes the red-blink error.\n\n{agent}",
            "de": "Hallo {first},\n\nbitte halten Sie die Taste 15 Sekunden zum Zurücksetzen und koppeln Sie dann neu. Firmware 2.4.1 behebt den Fehler.\n\n{agent}",
            "es": "Hola {first}:\n\nmantenga pulsado el botón 15 segundos para reiniciarlo y vuelva a emparejar. El firmware 2.4.1 corrige el error.\n\n{agent}",
            "fr": "Bonjour {first},\n\nmaintenez le bouton 15 secondes pour le réinitialiser puis appairez-le de nouveau. Le firmware 2.4.1 corrige l'erreur.\n\n{agent}",
        },
        customer_again={
            "en": "The reset worked but it disconnects again after an hour.",
            "de": "Das Zurücksetzen hat geklappt, aber nach einer Stunde trennt es sich wieder.",
            "es": "El reinicio funcionó, pero se desconecta otra vez al cabo de una hora.",
            "fr": "La réinitialisation a marché mais il se déconnecte après une heure.",
            "tr": "Sıfırlama işe yaradı ama bir saat sonra yine bağlantı kopuyor.",
            "pl": "Reset pomógł, ale po godzinie znowu się rozłącza.",
            "ar": "نجحت إعادة الضبط لكنه ينقطع مرة أخرى بعد ساعة.",
            "ja": "Risetto wa dekimashita ga, ichi-jikan-go ni mata setsudan saremasu.",
        },
        solution={
            "en": "That is a known fault of early units; we are sending you a replacement under warranty.\n\n{agent}",
            "de": "Das ist ein bekannter Fehler früher Geräte; wir schicken Ihnen ein Austauschgerät auf Garantie.\n\n{agent}",
            "es": "Es un fallo conocido de las primeras unidades; le enviamos un reemplazo en garantía.\n\n{agent}",
            "fr": "C'est un défaut connu des premiers exemplaires ; nous vous envoyons un remplacement sous garantie.\n\n{agent}",
        },
        note="Same error code as the batch from week 14. @{colleague} do we have replacement units in stock?",
        tag="firmware",
    ),
    Topic(
        "quality_claim",
        4,
        "claims",
        "claims",
        ("email", "portal"),
        _HIGH,
        subject={
            "en": "{product} broke after two weeks - I want a replacement",
            "de": "{product} nach zwei Wochen kaputt - ich möchte Ersatz",
            "es": "El {product} se rompió a las dos semanas - quiero un reemplazo",
            "fr": "{product} cassé après deux semaines - je veux un remplacement",
            "tr": "{product} iki haftada bozuldu - değişim istiyorum",
            "pl": "{product} zepsuł się po dwóch tygodniach - proszę o wymianę",
            "ar": "تعطل {product} بعد أسبوعين - أريد بديلاً",
            "ja": "{product} ga ni-shūkan de kowaremashita - kōkan wo kibō shimasu",
        },
        opening={
            "en": "The {product} from order {order} stopped working after two weeks of normal use. I would like a replacement or my money back ({amount}).",
            "de": "{product} aus Bestellung {order} funktioniert nach zwei Wochen normaler Nutzung nicht mehr. Ich möchte Ersatz oder mein Geld zurück ({amount}).",
            "es": "El {product} del pedido {order} dejó de funcionar tras dos semanas de uso normal. Quiero un reemplazo o el reembolso ({amount}).",
            "fr": "Le {product} de la commande {order} ne marche plus après deux semaines d'usage normal. Je souhaite un remplacement ou un remboursement ({amount}).",
            "tr": "{order} siparişindeki {product} iki haftalık normal kullanımdan sonra çalışmıyor. Değişim ya da para iadesi ({amount}) istiyorum.",
            "pl": "{product} z zamówienia {order} przestał działać po dwóch tygodniach. Proszę o wymianę lub zwrot pieniędzy ({amount}).",
            "ar": "توقف {product} من الطلب {order} عن العمل بعد أسبوعين من الاستخدام العادي. أريد بديلاً أو استرداد المبلغ ({amount}).",
            "ja": "Chūmon {order} no {product} ga ni-shūkan de ugokanaku narimashita. Kōkan ka henkin ({amount}) wo onegai shimasu.",
        },
        reply={
            "en": "Hello {first},\n\nI am sorry. I have passed your claim to our senior specialist for approval and will confirm within one business day.\n\n{agent}",
            "de": "Hallo {first},\n\ndas tut mir leid. Ihre Reklamation liegt zur Freigabe bei unserer Spezialistin; Sie hören innerhalb eines Werktags von uns.\n\n{agent}",
            "es": "Hola {first}:\n\nlo siento. He pasado su reclamación a nuestra especialista para su aprobación y le confirmo en un día laborable.\n\n{agent}",
            "fr": "Bonjour {first},\n\nj'en suis désolé. Votre réclamation est chez notre spécialiste pour validation ; réponse sous un jour ouvré.\n\n{agent}",
        },
        customer_again={
            "en": "Any news on my claim?",
            "de": "Gibt es Neuigkeiten zu meiner Reklamation?",
            "es": "¿Hay novedades sobre mi reclamación?",
            "fr": "Des nouvelles de ma réclamation ?",
            "tr": "Talebimle ilgili bir gelişme var mı?",
            "pl": "Czy są jakieś wieści w sprawie reklamacji?",
            "ar": "هل من جديد بخصوص مطالبتي؟",
            "ja": "Kurēmu no ken, nani ka shinten wa arimasu ka?",
        },
        solution={
            "en": "Your replacement is approved and ships today; you do not need to return the faulty one.\n\n{agent}",
            "de": "Ihr Ersatz ist freigegeben und geht heute raus; das defekte Gerät müssen Sie nicht zurückschicken.\n\n{agent}",
            "es": "Su reemplazo está aprobado y sale hoy; no necesita devolver el defectuoso.\n\n{agent}",
            "fr": "Votre remplacement est approuvé et part aujourd'hui ; inutile de renvoyer l'article défectueux.\n\n{agent}",
        },
        note="Claim: replacement, product quality, {amount}. @isabella above my limit - please approve.",
        tag="claim",
    ),
    Topic(
        "backorder",
        5,
        "delivery",
        "customer-service",
        ("email", "social", "portal"),
        _NORMAL,
        subject={
            "en": "{accessory} backordered again",
            "de": "{accessory} schon wieder nicht lieferbar",
            "es": "{accessory} otra vez sin stock",
            "fr": "{accessory} encore en rupture",
            "tr": "{accessory} yine stokta yok",
            "pl": "{accessory} znowu niedostępny",
            "ar": "{accessory} غير متوفر مرة أخرى",
            "ja": "{accessory} ga mata toriyose-chū desu",
        },
        opening={
            "en": "This is the third 'backordered' email for my {accessory} (order {order}). Can you give me a real date?",
            "de": "Das ist die dritte 'nicht lieferbar'-Mail für {accessory} (Bestellung {order}). Können Sie mir ein echtes Datum nennen?",
            "es": "Es el tercer aviso de 'sin stock' de mi {accessory} (pedido {order}). ¿Me pueden dar una fecha real?",
            "fr": "C'est le troisième e-mail « en rupture » pour mon {accessory} (commande {order}). Pouvez-vous me donner une vraie date ?",
            "tr": "{accessory} için üçüncü 'stokta yok' e-postası (sipariş {order}). Gerçek bir tarih verebilir misiniz?",
            "pl": "To już trzeci e-mail 'brak w magazynie' dla {accessory} (zamówienie {order}). Czy mogą Państwo podać konkretną datę?",
            "ar": "هذه ثالث رسالة 'غير متوفر' لـ {accessory} (الطلب {order}). هل يمكنكم إعطائي موعداً حقيقياً؟",
            "ja": "{accessory} (chūmon {order}) no 'toriyose-chū' mēru wa kore de san-kaime desu. Hontō no nōki wo oshiete kudasai.",
        },
        reply={
            "en": "Hello {first},\n\nI am sorry for the repeated delay. The next inbound shipment is booked for {days} days from now and your order is reserved from it.\n\n{agent}",
            "de": "Hallo {first},\n\nentschuldigen Sie die wiederholte Verzögerung. Die nächste Lieferung kommt in {days} Tagen, Ihre Bestellung ist daraus reserviert.\n\n{agent}",
            "es": "Hola {first}:\n\ndisculpe el retraso repetido. El próximo envío llega en {days} días y su pedido está reservado.\n\n{agent}",
            "fr": "Bonjour {first},\n\ndésolé pour ces retards répétés. Le prochain arrivage est prévu dans {days} jours et votre commande y est réservée.\n\n{agent}",
        },
        customer_again={
            "en": "OK, but please let me know if it slips again.",
            "de": "OK, aber sagen Sie bitte Bescheid, falls es sich wieder verschiebt.",
            "es": "Vale, pero avísenme si se retrasa otra vez.",
            "fr": "D'accord, mais prévenez-moi si cela glisse encore.",
            "tr": "Tamam ama yine gecikirse lütfen haber verin.",
            "pl": "Dobrze, ale proszę dać znać, jeśli znowu się opóźni.",
            "ar": "حسناً، لكن أرجو إبلاغي إن تأخر مرة أخرى.",
            "ja": "Wakarimashita ga, mata okureru baai wa oshirase kudasai.",
        },
        solution={
            "en": "Your {accessory} has shipped today with {carrier}.\n\n{agent}",
            "de": "Ihr {accessory} ist heute mit {carrier} rausgegangen.\n\n{agent}",
            "es": "Su {accessory} ha salido hoy con {carrier}.\n\n{agent}",
            "fr": "Votre {accessory} est parti aujourd'hui avec {carrier}.\n\n{agent}",
        },
        note="Third backorder on this SKU this month - flagged to Product Management with the customer contacts. @elias FYI for the quick-reference sheet.",
        tag="backorder",
        sku=("PS-NOVA12-CASE",),
    ),
)

SKUS = {
    "AuraSound X2 wireless headphones": "AS-X2-BLK",
    "Titan G15 gaming laptop": "TG15-16-512",
    "PowerSnap charging case for Nova 12": "PS-NOVA12-CASE",
    "Pulse S3 smartwatch": "PS3-44-GRY",
    "TrailCam 4K action camera": "TC4K-01",
    "Boom Mini Bluetooth speaker": "BM-MINI-RED",
    "Dock7 USB-C hub": "D7-USBC",
}


# --- the generator --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerRef:
    """What the generator needs to know of a customer."""

    first_name: str
    language: str
    country: str
    email_domain: str = ""


@dataclass(frozen=True)
class TeamRef:
    slug: str
    lead: str
    members: tuple[str, ...]  # leads included, by username
    mode: str = "manual"
    capacity: int = 25


def _hours(hours: float) -> timedelta:
    return timedelta(seconds=round(hours * 3600))


class CaseGenerator:
    """Draws case scripts for ``count`` cases opened between ``start`` and ``now``, oldest first.

    Agents answer in office hours (``calendar``), mostly well within the targets; a few answers
    come late, so some cases breach. Cases older than a few days are resolved (and closed by the
    follow-up sweep a week later); the newest ones make up the open queue.
    """

    def __init__(
        self,
        rng: random.Random,
        *,
        now: datetime,
        start: datetime,
        customers: Sequence[CustomerRef],
        teams: dict[str, TeamRef],
        calendar: CalendarSnapshot,
        capacities: dict[str, int] | None = None,
    ) -> None:
        self.rng = rng
        self.now = now
        self.start = start
        self.customers = customers
        self.teams = teams
        self.calendar = calendar
        self.capacities = capacities or {}
        self.weights = [t.weight for t in TOPICS]
        self._rr: dict[str, int] = {}
        # Load-based queues: active cases per agent, and when each of them stops being active.
        self._load: dict[str, int] = {}
        self._done: list[tuple[datetime, str]] = []
        self._last_got: dict[str, datetime] = {}
        # A few customers write again and again.
        self._frequent = [rng.randrange(len(customers)) for _ in range(max(1, len(customers) // 50))]

    # -- helpers ------------------------------------------------------------------------------
    def moments(self, count: int) -> list[datetime]:
        """When ``count`` cases arrive, oldest first: spread over the span, mostly in the daytime
        (UTC+1 give or take), fewer at weekends."""
        rng = self.rng
        span = (self.now - self.start).total_seconds()
        moments = []
        for index in range(count):
            while True:
                offset = (index + rng.random()) / count * span
                day = self.start + timedelta(seconds=offset)
                hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
                moment = day.replace(
                    hour=hour, minute=rng.randrange(60), second=rng.randrange(60), microsecond=0
                )
                if moment.weekday() >= 5 and rng.random() < 0.5:
                    continue
                if self.start <= moment <= self.now:
                    break
            moments.append(moment)
        return sorted(moments)

    def _agent_delay(self, at: datetime, low: float, high: float, urgent: bool) -> datetime:
        """When an agent answers: ``low``-``high`` hours of office time after ``at`` (round the
        clock for urgent cases), plus a few minutes."""
        minutes = int(self.rng.uniform(low, high) * 60) + 1
        if urgent:
            return at + timedelta(minutes=minutes, seconds=self.rng.randrange(60))
        return add_business_minutes(self.calendar, at, minutes) + timedelta(seconds=self.rng.randrange(60))

    def _customer_delay(self, at: datetime, low: float, high: float) -> datetime:
        return at + _hours(self.rng.uniform(low, high))

    def _text(self, texts: Texts, language: str, values: dict[str, Any]) -> str:
        template = texts.get(language) or texts["en"]
        return template.format(**values)

    def _pick(self, team: TeamRef, at: datetime) -> str:
        """The agent the team's queue gives a case arriving at ``at``; "" for a manual queue or
        when everyone is at capacity. Round-robin goes through the members by username;
        load-based picks the fewest active cases, then who got one longest ago."""
        while self._done and self._done[0][0] <= at:
            _when, agent = heapq.heappop(self._done)
            self._load[agent] -= 1
        members = sorted(team.members)
        if team.mode == "round_robin" and members:
            position = self._rr.get(team.slug, -1) + 1
            self._rr[team.slug] = position
            agent = members[position % len(members)]
        elif team.mode == "load_based" and members:
            below = [m for m in members if self._load.get(m, 0) < self.capacities.get(m, team.capacity)]
            if not below:
                return ""
            agent = min(below, key=lambda m: (self._load.get(m, 0), self._last_got.get(m, self.start), m))
        else:
            return ""
        self._load[agent] = self._load.get(agent, 0) + 1
        self._last_got[agent] = at
        return agent

    def _release(self, agent: str, done_at: datetime | None) -> None:
        """The case of ``agent`` stops counting towards their load at ``done_at`` (None: still open)."""
        heapq.heappush(self._done, (done_at or self.now + timedelta(days=3650), agent))

    # -- one case -----------------------------------------------------------------------------
    def script(self, index: int, created: datetime) -> CaseScript:
        """Case number ``index``, arriving at ``created`` (call in order of ``moments()``)."""
        rng = self.rng
        topic = rng.choices(TOPICS, weights=self.weights)[0]
        if rng.random() < 0.2:
            customer_index = rng.choice(self._frequent)
        else:
            customer_index = rng.randrange(len(self.customers))
        customer = self.customers[customer_index]
        channel = rng.choice(topic.channels)
        priority = rng.choices([p for p, _ in topic.priorities], weights=[w for _, w in topic.priorities])[0]
        urgent = priority == "urgent"
        team = self.teams[topic.team]
        values = self._values(customer, created)
        language = customer.language
        agent_language = language if language in AGENT_LANGUAGES else "en"
        product = values["product"]
        custom: dict[str, Any] = {"order_number": values["order"]}
        sku = rng.choice(topic.sku) if topic.sku else SKUS.get(product, "")
        if sku:
            custom["product_sku"] = sku
        script = CaseScript(
            customer=customer_index,
            subject=self._text(topic.subject, language, values)[:255],
            channel=channel,
            priority=priority,
            category=topic.category,
            team=topic.team,
            created_at=created,
            tags=(topic.tag,) if topic.tag else (),
            custom_fields=custom,
        )
        opening = self._text(topic.opening, language, values)
        if channel == "phone":
            script.opened_by = rng.choice(team.members or (team.lead,))
            script.steps.append(
                Step(
                    created,
                    "call",
                    by=script.opened_by,
                    body=opening,
                    direction="inbound",
                    duration=rng.randrange(90, 900),
                    outcome="follow_up",
                )
            )
        else:
            script.body = opening
            if channel == "email" and customer.email_domain:
                script.external_id = f"<{created:%Y%m%d%H%M%S}.{index}@{customer.email_domain}>"
        script.auto_assignee = self._pick(team, created)
        script.auto_mode = team.mode if script.auto_assignee else ""
        self._life(script, topic, team, customer, values, agent_language, urgent)
        if script.auto_assignee:
            done = next((s.at for s in script.steps if s.status in (RESOLVED, CLOSED)), None)
            self._release(script.auto_assignee, done)
        return script

    def _values(self, customer: CustomerRef, when: datetime) -> dict[str, Any]:
        rng = self.rng
        values = demo_data.fill_values(rng, country=customer.country, when=when)
        values["first"] = customer.first_name
        return values

    def _life(
        self,
        script: CaseScript,
        topic: Topic,
        team: TeamRef,
        customer: CustomerRef,
        values: dict[str, Any],
        language: str,
        urgent: bool,
    ) -> None:
        """The steps after opening: first answer, maybe a note, an escalation, a second round,
        the resolution. Steps after ``now`` have not happened yet and are dropped."""
        rng = self.rng
        steps = script.steps
        at = steps[-1].at if steps else script.created_at
        members = team.members or (team.lead,)
        agent = script.auto_assignee or script.opened_by or rng.choice(members)
        values = {**values, "lead": team.lead, "colleague": rng.choice(members), "agent": ""}

        def signed(texts: Texts, who: str) -> str:
            return self._text(texts, language, {**values, "agent": _signature(who)})

        # First answer: mostly within the target, a few late ones (breaches).
        roll = rng.random()
        if roll < 0.82:
            low, high = 0.1, 4.0
        elif roll < 0.94:
            low, high = 4.0, 7.5
        else:
            low, high = 8.5, 11.5
        if topic.note and rng.random() < 0.35:
            at = self._agent_delay(at, 0.05, 0.8, urgent)
            steps.append(Step(at, "note", by=agent, body=self._text({"en": topic.note}, "en", values)))
        escalate = topic.escalate_share and rng.random() < topic.escalate_share
        at = self._agent_delay(at, low, high, urgent)
        if not script.auto_assignee:
            steps.append(Step(at, "assign", by=agent, assignee=agent))  # taken from the team queue
        if script.channel == "phone" and rng.random() < 0.5:
            steps.append(
                Step(
                    at,
                    "call",
                    by=agent,
                    body=_strip_signature(signed(topic.reply, agent)),
                    direction="outbound",
                    duration=rng.randrange(60, 600),
                    outcome="follow_up",
                )
            )
        else:
            steps.append(Step(at, "reply", by=agent, body=signed(topic.reply, agent), status=WAITING))
        if escalate:
            at = self._customer_delay(at, 0.5, 20)
            steps.append(
                Step(
                    at,
                    "receive",
                    body=self._text(topic.customer_again, customer.language, values),
                    channel=script.channel,
                )
            )
            at = self._agent_delay(at, 0.1, 2, urgent)
            tech = self.teams.get("tech")
            steps.append(
                Step(
                    at,
                    "escalate",
                    by=agent,
                    body=self._text({"en": topic.note}, "en", values)
                    if topic.note
                    else "Needs technical support: the problem is on our side.",
                    assignee=tech.lead if tech and rng.random() < 0.6 else "",
                )
            )
            tech_agent = steps[-1].assignee or (rng.choice(tech.members or (tech.lead,)) if tech else agent)
            at = self._agent_delay(at, 1, 14, urgent)
            if not steps[-1].assignee:
                steps.append(Step(at, "assign", by=tech_agent, assignee=tech_agent))
            steps.append(
                Step(
                    at,
                    "note",
                    by=tech_agent,
                    body=f"Mail server rejected the reset mails (SPF). Fixed; @{agent} the customer can try again.",
                )
            )
            at = self._agent_delay(at, 0.1, 3, urgent)
            steps.append(
                Step(at, "reply", by=tech_agent, body=signed(topic.solution, tech_agent), status=RESOLVED)
            )
        else:
            if rng.random() < 0.55:
                at = self._customer_delay(at, 0.3, 40)
                steps.append(
                    Step(
                        at,
                        "receive",
                        body=self._text(topic.customer_again, customer.language, values),
                        channel=script.channel if script.channel not in ("phone", "web") else "email",
                    )
                )
                if rng.random() < 0.15:
                    at = self._agent_delay(at, 0.2, 3, urgent)
                    steps.append(
                        Step(
                            at,
                            "status",
                            by=agent,
                            status=ON_HOLD,
                        )
                    )
                at = self._agent_delay(at, 0.2, 7.5 if rng.random() < 0.92 else 12, urgent)
            else:
                at = self._agent_delay(at, 12, 45, urgent)  # no answer from the customer: wait, then close
            if rng.random() < 0.08:
                at = self._agent_delay(at, 8, 30, urgent)  # stuck: waiting for stock, a carrier, a colleague
            steps.append(Step(at, "reply", by=agent, body=signed(topic.solution, agent), status=RESOLVED))
            if rng.random() < 0.06:
                # The customer answers the follow-up question: the case reopens.
                at = self._customer_delay(at, 2, 60)
                steps.append(
                    Step(at, "receive", body=_THANKS.get(customer.language, _THANKS["en"]), channel="email")
                )
                at = self._agent_delay(at, 0.2, 6, urgent)
                steps.append(Step(at, "status", by=agent, status=CLOSED))
        script.steps = [s for s in steps if s.at <= self.now]


_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 9, 8, 9, 10, 10, 9, 8, 7, 6, 5, 4, 3, 2)

_THANKS = {
    "en": "Yes, all good now - thank you!",
    "de": "Ja, jetzt passt alles - danke!",
    "es": "Sí, ya está todo bien, ¡gracias!",
    "fr": "Oui, tout est en ordre maintenant, merci !",
    "tr": "Evet, şimdi her şey yolunda, teşekkürler!",
    "pl": "Tak, wszystko już działa, dziękuję!",
    "ar": "نعم، كل شيء على ما يرام الآن، شكراً!",
    "ja": "Hai, mō daijōbu desu. Arigatō gozaimashita!",
}

_SIGNATURES = {m.username: f"{m.first_name} {m.last_name}" for m in demo_data.STAFF}


def _signature(username: str) -> str:
    return _SIGNATURES.get(username, username)


def _strip_signature(text: str) -> str:
    """A reply's words as a call summary: without greeting and signature lines."""
    lines = [line for line in text.split("\n") if line.strip()]
    return " ".join(lines[1:-1] or lines)


# --- the seeds' own cases ---------------------------------------------------------------------------

#: An admin-defined status (seed 003): a claim with financial impact waits for a lead's decision.
AWAITING_APPROVAL = ("Awaiting approval", "awaiting-approval", "on_hold", 45)

#: Customers of ``demo_data.STORY_CUSTOMERS`` by key: their position is their index in the
#: seed's customer list (they are created first, in this order).
STORY_INDEX = {story.key: index for index, story in enumerate(demo_data.STORY_CUSTOMERS)}

#: The claims list of seed 003: reference, customer, days ago.
CLAIM_REFERENCES = ("35551234", "35563131", "35579998", "36012224")


def story_scripts(now: datetime) -> list[CaseScript]:
    """The cases the seeds tell, as they happened relative to ``now``: the claims list of seed 003
    (with the Fancy Shirt T-12377 quality problem behind it), the account-access request of seed
    002, and the shipments desk of seed 004."""

    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    def case(key: str, days: float, **fields: Any) -> CaseScript:
        return CaseScript(customer=STORY_INDEX[key], created_at=ago(days), **fields)

    scripts: list[CaseScript] = []

    # Seed 003: Isabella's list of claims to approve.
    justine = case(
        "justine",
        8,
        subject="Shirt worn out after only 1 week",
        body="Hi, I bought the Fancy Shirt (M), product no. T-12377, in your online store. After one week "
        "the fabric is worn out at the elbows. I would like a replacement, please. - Justine",
        channel="email",
        priority="high",
        category="claims",
        team="claims",
        reference="35551234",
        tags=("claim", "replacement"),
        custom_fields={"order_number": "SO-204518", "product_sku": "T-12377"},
        external_id="<CAJ7x2-fancy-shirt@example.com>",
    )
    justine.steps = [
        Step(ago(7.95), "assign", by="todd", assignee="todd"),
        Step(
            ago(7.9),
            "note",
            by="todd",
            body="Claim 35551234: replacement, product quality, 75 USD (Fancy Shirt (M) T-12377, 23 % returns). "
            "Needs approval by a lead - @isabella.",
        ),
        Step(
            ago(7.8),
            "reply",
            by="todd",
            body="Hello Justine,\n\nthank you for letting us know. Your replacement request 35551234 is with our "
            "senior specialist for approval; you will hear from us within one business day.\n\nTodd Haney",
            status="awaiting-approval",
        ),
    ]
    camille = case(
        "camille",
        2,
        subject="Je n'aime pas la montre - remboursement s'il vous plaît",
        body="La montre ne me plaît pas du tout. Je souhaite être remboursée. Commande SO-207743.",
        channel="portal",
        priority="normal",
        category="claims",
        team="claims",
        reference="35563131",
        tags=("claim", "reimbursement"),
        custom_fields={"order_number": "SO-207743", "product_sku": "PS3-44-GRY"},
    )
    camille.steps = [
        Step(ago(1.95), "assign", by="lucia", assignee="lucia"),
        Step(
            ago(1.9),
            "note",
            by="lucia",
            body="Claim 35563131: reimbursement, dislike, 44 USD - within the return window. @isabella for approval.",
        ),
        Step(
            ago(1.88),
            "reply",
            by="lucia",
            body="Bonjour Camille,\n\nnous avons bien reçu votre demande de remboursement 35563131 ; elle est en "
            "cours de validation et nous revenons vers vous sous un jour ouvré.\n\nLucía Fernández",
            status="awaiting-approval",
        ),
    ]
    carlos = case(
        "carlos",
        1,
        subject="Talla equivocada - necesito un cambio",
        body="Pedí la talla L y me llegó la XL en las tres camisas. Pedido SO-208120.",
        channel="portal",
        priority="normal",
        category="claims",
        team="claims",
        reference="35579998",
        tags=("claim", "replacement"),
        custom_fields={"order_number": "SO-208120", "product_sku": "T-12377"},
    )
    carlos.steps = [
        Step(ago(0.95), "assign", by="thomas", assignee="thomas"),
        Step(
            ago(0.9),
            "note",
            by="thomas",
            body="Claim 35579998: replacement, wrong size, 211 USD. Within my limit (250 USD), but it is three "
            "shirts of the T-12377 batch - @isabella please decide together with case 35551234.",
        ),
        Step(
            ago(0.88),
            "reply",
            by="thomas",
            body="Hola Carlos:\n\nsentimos el error de talla. Su solicitud de cambio 35579998 está en aprobación; "
            "las camisas nuevas salen en cuanto se confirme.\n\nThomas Becker",
            status="awaiting-approval",
        ),
    ]
    haruto = case(
        "haruto",
        1,
        subject="Refund request for SO-206001",
        body="The camera arrived late for my trip; I would like my money back. Order SO-206001.",
        channel="email",
        priority="normal",
        category="claims",
        team="claims",
        reference="36012224",
        tags=("claim", "reimbursement"),
        custom_fields={"order_number": "SO-206001", "product_sku": "TC4K-01"},
        external_id="<20260105-refund-SO-206001@yubin.example>",
    )
    haruto.steps = [
        Step(ago(0.9), "assign", by="todd", assignee="todd"),
        Step(
            ago(0.85),
            "note",
            by="todd",
            body="Claim 36012224: reimbursement, other, 98 USD - DHL delivered four days late. @isabella for approval.",
        ),
        Step(
            ago(0.84),
            "reply",
            by="todd",
            body="Hello Haruto,\n\nwe are sorry the camera arrived too late for your trip. Your refund request "
            "36012224 is with our senior specialist for approval; you will hear from us within one business "
            "day.\n\nTodd Haney",
            status="awaiting-approval",
        ),
    ]
    megan = case(
        "megan",
        3,
        subject="Fancy Shirt T-12377: 23 % returns this month - quality problem?",
        body="Hello, 23 % of the Fancy Shirt T-12377 we sold this month came back: the fabric wears through at "
        "the elbows within a week. Is there a known problem with this batch? We still have 240 pieces from "
        "order SO-202288 in stock.\n\nMegan Carter, Buyer, Fancy Retail Inc.",
        channel="email",
        priority="high",
        category="claims",
        team="claims",
        tags=("quality", "b2b"),
        custom_fields={"order_number": "SO-202288", "product_sku": "T-12377"},
        external_id="<t12377-returns@fancyretail.example>",
    )
    megan.steps = [
        Step(ago(2.95), "assign", by="isabella", assignee="isabella"),
        Step(ago(2.9), "link", by="isabella", body="35551234"),
        Step(
            ago(2.85),
            "note",
            by="isabella",
            body="Same complaint as case 35551234 (Justine Harrington). @paul recurring quality problem on "
            "T-12377 - 23 % returns this month; can product check the fabric batch?",
        ),
        Step(
            ago(2.8),
            "reply",
            by="isabella",
            body="Hello Megan,\n\nthank you for the numbers. We see the same complaint from end customers and have "
            "asked our product team to check the fabric batch. We will come back to you by Friday with the "
            "result and a credit proposal for the affected pieces.\n\nIsabella Hernández",
            status="on-hold",
        ),
    ]
    scripts += [justine, camille, carlos, haruto, megan]

    # Seed 002: the account-access request, identity check, technical support, follow-up.
    agnieszka = case(
        "agnieszka",
        3,
        subject="Nie mogę się zalogować - link do resetu hasła nie dochodzi",
        body="Próbowałam zalogować się pięć razy i konto jest zablokowane. E-mail z linkiem do resetu hasła "
        "nie przychodzi. Proszę o pomoc.",
        channel="portal",
        priority="high",
        category="account-access",
        team="customer-service",
        tags=("account",),
    )
    agnieszka.steps = [
        Step(ago(2.97), "assign", by="isabella", assignee="sara"),
        Step(
            ago(2.95),
            "reply",
            by="sara",
            body="Hello Agnieszka,\n\nI am sorry you cannot get in. Before I change anything on your account, "
            "please confirm the order number of your last purchase and your postcode.\n\nSara Lindqvist",
            status="waiting-on-customer",
        ),
        Step(
            ago(2.9),
            "receive",
            body="Ostatnie zamówienie: SO-203377, kod pocztowy 31-019.",
            channel="portal",
        ),
        Step(
            ago(2.88),
            "note",
            by="sara",
            body="Identity verified: order number SO-203377 and postcode 31-019 match the account. Reset mails to "
            "poczta.example bounce - the problem is on our side.",
        ),
        Step(
            ago(2.87),
            "escalate",
            by="sara",
            assignee="omar",
            body="Password reset emails to poczta.example are rejected by our mail relay; the customer cannot "
            "sign in. Please fix and tell me.",
        ),
        Step(
            ago(2.4),
            "note",
            by="omar",
            body="The new mail relay had no SPF entry, so poczta.example rejected our mails. Fixed and tested. "
            "@sara you can send her a new link.",
        ),
        Step(
            ago(2.38),
            "return",
            by="omar",
            body="Fixed on our side (SPF on the mail relay); back to Customer Service to follow up with the customer.",
        ),
        Step(
            ago(2.3),
            "reply",
            by="sara",
            body="Hello Agnieszka,\n\nthank you for your patience. The problem was on our side and is fixed: I "
            "have just sent you a new password reset link. Please let us know whether you can sign in "
            "again.\n\nSara Lindqvist",
            status="resolved",
        ),
        Step(
            ago(1),
            "call",
            by="sara",
            body="Follow-up call: the customer confirmed she can sign in again.",
            direction="outbound",
            duration=120,
            outcome="resolved",
        ),
    ]
    scripts.append(agnieszka)

    # Seed 000 / 004: stock questions, a laptop on hold, a backorder, the spare-parts distributor.
    yusuf = case(
        "yusuf",
        0.2,
        subject="AuraSound X2 kablosuz kulaklık stokta var mı?",
        body="Kampanyadaki AuraSound X2 kulaklık hâlâ stokta mı? Hafta sonundan önce gelir mi?",
        channel="chat",
        priority="low",
        category="product-question",
        team="customer-service",
        tags=("promotion",),
        custom_fields={"product_sku": "AS-X2-BLK"},
    )
    yusuf.steps = [
        Step(ago(0.195), "assign", by="fatma", assignee="fatma"),
        Step(
            ago(0.19),
            "reply",
            by="fatma",
            body="Merhaba Yusuf,\n\nstok azaldı ama hemen gönderim için hâlâ mevcut; bugün sipariş verirseniz 2 gün "
            "içinde elinizde.\n\nFatma Kaya",
            status="resolved",
        ),
    ]
    kevin = case(
        "kevin",
        1,
        subject="Gaming laptop order 10023 on hold - when will it ship?",
        channel="phone",
        opened_by="jonas",
        priority="normal",
        category="delivery",
        team="shipments",
        custom_fields={"order_number": "10023", "product_sku": "TG15-16-512"},
    )
    kevin.steps = [
        Step(
            ago(1),
            "call",
            by="jonas",
            body="Gaming laptop order 10023 on hold - customer asks when it will ship.",
            direction="inbound",
            duration=240,
            outcome="follow_up",
        ),
        Step(ago(0.99), "assign", by="jonas", assignee="jonas"),
        Step(
            ago(0.95),
            "call",
            by="jonas",
            body="Explained the hold on order 10023: the Titan G15 arrives with the inbound shipment in 2 days and is "
            "reserved for the customer. Offered 5 % off the next order for the delay.",
            direction="outbound",
            duration=180,
            outcome="resolved",
        ),
        Step(ago(0.94), "status", by="jonas", status="resolved"),
    ]
    ayse = case(
        "ayse",
        4,
        subject="PowerSnap kılıfı üçüncü kez ertelendi",
        body="PowerSnap kılıfım için üçüncü kez 'ön sipariş' e-postası aldım. Gerçekten mi? Sipariş SO-201560.",
        channel="social",
        priority="normal",
        category="delivery",
        team="customer-service",
        tags=("backorder",),
        custom_fields={"order_number": "SO-201560", "product_sku": "PS-NOVA12-CASE"},
    )
    ayse.steps = [
        Step(ago(3.95), "assign", by="fatma", assignee="fatma"),
        Step(
            ago(3.9),
            "note",
            by="elias",
            body="Flagged the recurring backorder of the PowerSnap charging case to Product Management with 3 "
            "customer contacts. @paul see the backorder history of this SKU.",
        ),
        Step(
            ago(3.8),
            "reply",
            by="fatma",
            body="Merhaba Ayşe,\n\ntekrarlanan gecikme için çok özür dileriz. Yeni sevkiyat 5 gün içinde geliyor ve "
            "siparişiniz bunun için ayrıldı.\n\nFatma Kaya",
            status="waiting-on-customer",
        ),
    ]
    pallet = case(
        "juergen",
        4,
        subject="Brake pad pallet SO-205800 stuck at DHL Freight hub Leipzig",
        channel="phone",
        opened_by="thomas",
        priority="high",
        category="delivery",
        team="shipments",
        tags=("delivery-exception",),
        custom_fields={"order_number": "SO-205800", "product_sku": "BP-4471"},
    )
    pallet.steps = [
        Step(
            ago(4),
            "call",
            by="thomas",
            body="Brake pad pallet SO-205800 (BP-4471, 40 sets) stuck at the DHL Freight hub Leipzig for two days; "
            "the customer's workshops are waiting.",
            direction="inbound",
            duration=300,
            outcome="follow_up",
        ),
        Step(ago(3.99), "assign", by="thomas", assignee="thomas"),
        Step(
            ago(3.9),
            "call",
            by="thomas",
            body="Told the customer: DHL Freight delay of 2 days, new ETA confirmed for Thursday morning.",
            direction="outbound",
            duration=200,
            outcome="resolved",
        ),
        Step(ago(3.89), "status", by="thomas", status="resolved"),
    ]
    gate = case(
        "juergen",
        1,
        subject="Lieferung fehlgeschlagen - UPS stand vor verschlossenem Tor",
        body="Der UPS-Fahrer kam um 18 Uhr, unser Wareneingang schließt um 16 Uhr. Sendung 1Z999AA10123456784, "
        "Bestellung SO-205800 (Restlieferung). Bitte neu zustellen - vormittags!",
        channel="email",
        priority="high",
        category="delivery",
        team="shipments",
        tags=("delivery-exception",),
        custom_fields={"order_number": "SO-205800", "product_sku": "BP-4471"},
        external_id="<ups-1Z999AA10123456784@sparepartspro.example>",
    )
    gate.steps = [
        Step(ago(0.95), "assign", by="thomas", assignee="thomas"),
        Step(
            ago(0.9),
            "reply",
            by="thomas",
            body="Hallo Herr Weiß,\n\nich habe bei UPS eine neue Zustellung für morgen Vormittag (8-12 Uhr) "
            "beauftragt und den Hinweis „Wareneingang bis 16 Uhr“ hinterlegt.\n\nThomas Becker",
            status="waiting-on-customer",
        ),
    ]
    damaged = case(
        "katrin",
        2,
        subject="DB Schenker Palette beschädigt angekommen - Zustellnachweis?",
        body="Die Palette mit Ölfiltern OF-220 kam mit beschädigter Folie an, 6 Kartons sind eingedrückt. "
        "Können Sie den Zustellnachweis von DB Schenker anfordern? Bestellung SO-205912.",
        channel="email",
        priority="high",
        category="delivery",
        team="shipments",
        tags=("delivery-exception",),
        custom_fields={"order_number": "SO-205912", "product_sku": "OF-220"},
        external_id="<schenker-pod-SO-205912@sparepartspro.example>",
    )
    damaged.steps = [
        Step(ago(1.9), "assign", by="jonas", assignee="jonas"),
        Step(
            ago(1.85),
            "note",
            by="jonas",
            body="Requested proof of delivery from DB Schenker (POD with damage remark). @thomas claim against the "
            "carrier once the POD is in.",
        ),
        Step(
            ago(1.8),
            "reply",
            by="jonas",
            body="Hallo Frau Schulz,\n\nich habe den Zustellnachweis bei DB Schenker angefordert und melde mich, "
            "sobald er da ist. Bitte bewahren Sie die beschädigten Kartons auf.\n\nJonas Brandt",
            status="on-hold",
        ),
    ]
    scripts += [yusuf, kevin, ayse, pallet, gate, damaged]
    return scripts


@dataclass(frozen=True)
class HandoverSpec:
    author: str
    body: str
    subject: str = ""  # the story case's subject, "" = a shift summary for the team
    handed_to: str = ""


#: Seed 004: Thomas's late-shift notes for the next shift of the Shipments team.
HANDOVER: tuple[HandoverSpec, ...] = (
    HandoverSpec(
        "thomas",
        "Late shift: 3 pallets delayed at the DHL Freight hub Leipzig (SparePartsPro among them, ETA "
        "Thursday). UPS rebooked for the morning slot at SparePartsPro - check at 10:00 that it went out. "
        "Waiting for the DB Schenker proof of delivery on the damaged oil filters. Two where-is-my-order "
        "callbacks promised before 09:00.",
        handed_to="jonas",
    ),
    HandoverSpec(
        "thomas",
        "UPS 1Z999AA10123456784 failed delivery - rebooked for 8-12 h; call Herr Weiß if UPS misses the slot again.",
        subject="Lieferung fehlgeschlagen - UPS stand vor verschlossenem Tor",
        handed_to="jonas",
    ),
    HandoverSpec(
        "jonas",
        "POD requested from DB Schenker yesterday 15:40; chase them at 09:00 if it is not in the case.",
        subject="DB Schenker Palette beschädigt angekommen - Zustellnachweis?",
        handed_to="tomasz",
    ),
)

#: Cases per ``--scale``, and the days they are spread over (seed 003: more than 1,000 a day).
CASE_SCALES = {"demo": 6_000, "s": 20_000, "m": 100_000, "l": 1_000_000}
CASE_DAYS = {"demo": 120, "s": 120, "m": 90, "l": 365}
