# ruff: noqa: RUF001, RUF002  (the Turkish dotless i and other letters are meant: multilingual data)
"""The demo data set: who works here, who buys here, and what they talked about.

Pure data and pure functions - no database. ``frontline seed`` (workspace/management/commands/
seed.py) turns them into rows. Everything random draws from one ``random.Random`` the caller
seeds, so the same seed gives the same people in the same order on every machine.

Names are our own lists - no Faker, nothing downloaded - in eight languages, written the way
their speakers write them (Weiß, Yılmaz, Wiśniewska, Satō, and Arabic script for part of the
Arabic names). Email addresses use reserved example domains; US and UK phone numbers use the
ranges reserved for fiction (555-01xx, 07700 900xxx).
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

DEMO_PASSWORD = "frontline-demo"

#: The fixed seed of the demo data set (``random.Random(SEED)``).
SEED = 35551234

#: Customers per ``--scale``.
SCALES = {"demo": 3_000, "s": 20_000, "m": 100_000, "l": 1_000_000}

STAFF_EMAIL_DOMAIN = "support.example"


# --- staff ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffMember:
    username: str
    first_name: str
    last_name: str
    role: str
    approval_limit: int = 0
    superuser: bool = False


#: One login per role, named after the people of the seeds (DESIGN.md section 4), then the
#: agents of Isabella's and Thomas's teams (Todd Haney processes claims in seed 003).
STAFF: tuple[StaffMember, ...] = (
    StaffMember("elias", "Elias", "Nasser", "reporter"),
    StaffMember("isabella", "Isabella", "Hernández", "lead", approval_limit=500),
    StaffMember("thomas", "Thomas", "Becker", "lead", approval_limit=250),
    StaffMember("sara", "Sara", "Lindqvist", "agent"),
    StaffMember("omar", "Omar", "Farouk", "tech"),
    StaffMember("sam", "Sam", "Okafor", "sales"),
    StaffMember("lena", "Lena", "Vogel", "logistics"),
    StaffMember("paul", "Paul", "Dubois", "product"),
    StaffMember("admin", "Ada", "Admin", "admin", superuser=True),
    StaffMember("todd", "Todd", "Haney", "agent"),
    StaffMember("nadia", "Nadia", "Benali", "agent"),
    StaffMember("kenji", "Kenji", "Mori", "agent"),
    StaffMember("lucia", "Lucía", "Fernández", "agent"),
    StaffMember("tomasz", "Tomasz", "Wójcik", "agent"),
    StaffMember("fatma", "Fatma", "Kaya", "agent"),
    StaffMember("jonas", "Jonas", "Brandt", "agent"),
    StaffMember("ines", "Inés", "Navarro", "agent"),
    StaffMember("marek", "Marek", "Zieliński", "agent"),
    StaffMember("hana", "Hana", "Kovač", "tech"),
)


@dataclass(frozen=True)
class TeamSpec:
    name: str
    slug: str
    description: str
    lead: str
    members: tuple[str, ...]


#: Teams with queues (``cases.Queue``, set up by the seed): Customer Service distributes
#: round-robin, Thomas's Shipments team of eight by load (seed 004), Technical Support (slug
#: ``tech``: escalations of seed 002 go there) and Isabella's Claims team take cases by hand.
TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec(
        "Customer Service",
        "customer-service",
        "First line: email, phone, chat and portal requests in English, Spanish, German, French, Arabic and Turkish.",
        "isabella",
        ("sara", "todd", "nadia", "kenji", "lucia", "tomasz", "fatma", "jonas", "elias"),
    ),
    TeamSpec(
        "Shipments",
        "shipments",
        "Where-is-my-order calls, delivery exceptions and carrier follow-up.",
        "thomas",
        ("jonas", "tomasz", "fatma", "kenji", "sara", "ines", "marek", "nadia"),
    ),
    TeamSpec("Technical Support", "tech", "Account access, devices and the web shop.", "omar", ("hana",)),
    TeamSpec(
        "Claims",
        "claims",
        "Critical cases and claims with financial impact: replacements, reimbursements, goodwill.",
        "isabella",
        ("todd", "lucia", "thomas"),
    ),
    TeamSpec("Logistics", "logistics", "Warehouses, carriers and inbound restocks.", "lena", ()),
    TeamSpec(
        "Product Management",
        "product",
        "Recurring product and stock problems flagged by support.",
        "paul",
        (),
    ),
    TeamSpec("Sales", "sales", "B2B accounts, offers and cross-selling.", "sam", ()),
)


# --- places and names -------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    country: str
    city: str
    region: str
    postal: str  # pattern: # = digit, A = letter; "" = none
    time_zone: str
    phone: str  # pattern: # = digit; "|" separates alternatives (area codes, mobile ranges)


@dataclass(frozen=True)
class Locale:
    language: str
    weight: int
    places: tuple[Place, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    streets: tuple[str, ...]
    address_format: str  # {n} number, {street}
    email_domains: tuple[str, ...]
    # Arabic: (script, Latin) pairs; a share of the customers is written in Arabic script.
    script_first_names: tuple[tuple[str, str], ...] = ()
    script_last_names: tuple[tuple[str, str], ...] = ()


def _words(text: str) -> tuple[str, ...]:
    """Names separated by spaces (no name here contains one)."""
    return tuple(text.split())


def _choices(text: str) -> tuple[str, ...]:
    """Values separated by ``|``."""
    return tuple(part.strip() for part in text.split("|"))


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """``script:latin`` pairs separated by spaces."""
    return tuple((a, b) for a, b in (item.split(":") for item in text.split()))


LOCALES: tuple[Locale, ...] = (
    Locale(
        "en",
        28,
        (
            Place(
                "US",
                "San Francisco",
                "CA",
                "941##",
                "America/Los_Angeles",
                ("+1 415 555 01##|+1 628 555 01##|+1 650 555 01##|+1 510 555 01##"),
            ),
            Place(
                "US",
                "New York",
                "NY",
                "100##",
                "America/New_York",
                ("+1 212 555 01##|+1 646 555 01##|+1 917 555 01##|+1 718 555 01##|+1 347 555 01##"),
            ),
            Place(
                "US",
                "Chicago",
                "IL",
                "606##",
                "America/Chicago",
                ("+1 312 555 01##|+1 773 555 01##|+1 872 555 01##|+1 630 555 01##"),
            ),
            Place("US", "Austin", "TX", "787##", "America/Chicago", "+1 512 555 01##|+1 737 555 01##"),
            Place("GB", "London", "", "SW1A #AA", "Europe/London", "+44 20 7946 0###|+44 7700 900###"),
            Place("GB", "Manchester", "", "M# #AB", "Europe/London", "+44 161 496 0###|+44 7700 900###"),
            Place("AU", "Sydney", "NSW", "2###", "Australia/Sydney", "+61 2 5550 ####|+61 491 570 1##"),
        ),
        _words(
            "James Emma Oliver Olivia William Ava Noah Sophia Liam Isabella Ethan Mia Henry "
            "Charlotte Jack Amelia Lucas Harper Daniel Grace Michael Chloe Ryan Hannah Kevin Megan "
            "Brian Sarah Justin Emily Aaron Zoe Caleb Natalie Dylan Abigail Owen Madison Logan "
            "Victoria Connor Brooke Tyler Lauren Nathan Rachel Isaac Jasmine Gavin Paige"
        ),
        _words(
            "Smith Johnson Williams Brown Jones Miller Davis Wilson Taylor Clark Walker Hall Young "
            "King Wright Scott Green Baker Adams Nelson Carter Mitchell Roberts Turner Phillips "
            "Campbell Parker Evans O'Brien Thompson Harrison Murphy Bennett Collins Stewart Morris "
            "Rogers Reed Cook Morgan Bell Cooper Richardson Howard Ward Brooks Gray Hughes Price "
            "Sanders Fitzgerald MacDonald Sullivan Kennedy Fraser Lloyd Hayes Foster"
        ),
        _choices(
            "Market Street | Main Street | Oak Avenue | Baker Street | High Street | Elm Road | "
            "Maple Drive | Park Lane | Cedar Court | Sunset Boulevard"
        ),
        "{n} {street}",
        ("example.com", "example.net", "example.org", "mail.example"),
    ),
    Locale(
        "es",
        15,
        (
            Place("ES", "Madrid", "Comunidad de Madrid", "280##", "Europe/Madrid", "+34 6## ### ###"),
            Place("ES", "Barcelona", "Cataluña", "080##", "Europe/Madrid", "+34 6## ### ###"),
            Place("ES", "Sevilla", "Andalucía", "410##", "Europe/Madrid", "+34 6## ### ###"),
            Place("MX", "Ciudad de México", "CDMX", "06###", "America/Mexico_City", "+52 55 #### ####"),
            Place("CO", "Bogotá", "", "1100##", "America/Bogota", "+57 3## ### ####"),
        ),
        _words(
            "Alejandro Lucía Javier María Sergio Sofía Andrés Valentina Pablo Carmen Diego Paula "
            "Álvaro Elena Raúl Isabel Jesús Martina Íñigo Ana José Laura Manuel Nuria Rubén Begoña "
            "Tomás Ximena Hernán Inés Adrián Marta Óscar Rocío Gonzalo Pilar Ramón Noelia Joaquín "
            "Aitana"
        ),
        _words(
            "García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín Jiménez "
            "Ruiz Hernández Díaz Moreno Muñoz Álvarez Romero Núñez Castillo Ortega Rubio Molina "
            "Delgado Ibáñez Peña Méndez Vázquez Cortés Gutiérrez"
        ),
        _choices(
            "Calle de Alcalá | Gran Vía | Calle Mayor | Avenida de la Constitución | Paseo de la "
            "Castellana | Calle del Sol | Calle de Toledo | Avenida de América | Calle Serrano | "
            "Rambla de Catalunya"
        ),
        "{street} {n}",
        ("correo.example", "example.com", "example.net"),
    ),
    Locale(
        "de",
        15,
        (
            Place("DE", "Berlin", "", "10###", "Europe/Berlin", "+49 151 ########"),
            Place("DE", "München", "Bayern", "80###", "Europe/Berlin", "+49 160 ########"),
            Place("DE", "Hamburg", "", "20###", "Europe/Berlin", "+49 170 ########"),
            Place("DE", "Köln", "Nordrhein-Westfalen", "50###", "Europe/Berlin", "+49 152 ########"),
            Place("AT", "Wien", "", "1###", "Europe/Vienna", "+43 664 #######"),
            Place("CH", "Zürich", "ZH", "80##", "Europe/Zurich", "+41 79 ### ## ##"),
        ),
        _words(
            "Lukas Anna Jürgen Katrin Maximilian Sophie Felix Marie Jonas Lea Tobias Laura "
            "Sebastian Hannah Matthias Julia Florian Katharina Stefan Sabine Uwe Birgit Dieter Jörg "
            "Björn Käthe Günther Henrike Till Greta Moritz Svenja Niklas Franziska Jan Ulrike Malte "
            "Anja Carsten Ines Holger Frauke Lars Gudrun Benedikt Jördis Ole Wiebke Götz Heike"
        ),
        _words(
            "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer "
            "Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann "
            "Hartmann Lange Weiß Köhler Groß Jäger Vogt Schmitt Werner Krause Meier Lehmann Schmid "
            "Schulze Maier Köster Herrmann König Walter Peters Möller Friedrich Günther Böhm Seidel "
            "Fuchs Voß Brückner Löffler Dreßler Engel Sauer"
        ),
        _choices(
            "Friedrichstraße | Hauptstraße | Schillerstraße | Bahnhofstraße | Goethestraße | "
            "Lindenallee | Königsallee | Gartenweg | Mühlenstraße | Am Marktplatz"
        ),
        "{street} {n}",
        ("postfach.example", "example.com", "example.net"),
    ),
    Locale(
        "fr",
        10,
        (
            Place("FR", "Paris", "Île-de-France", "750##", "Europe/Paris", "+33 6 ## ## ## ##"),
            Place("FR", "Lyon", "Auvergne-Rhône-Alpes", "6900#", "Europe/Paris", "+33 7 ## ## ## ##"),
            Place(
                "FR", "Marseille", "Provence-Alpes-Côte d'Azur", "130##", "Europe/Paris", "+33 6 ## ## ## ##"
            ),
            Place("BE", "Bruxelles", "", "1###", "Europe/Brussels", "+32 470 ## ## ##"),
            Place("CA", "Montréal", "QC", "H2X #A#", "America/Toronto", "+1 514 555 01##|+1 438 555 01##"),
        ),
        _words(
            "Camille Léa Hugo Chloé Louis Manon Théo Inès Gabriel Élodie Mathis Amélie Nicolas "
            "Céline Julien Aurélie Antoine Noémie François Hélène Jérôme Margaux Benoît Solène Maël "
            "Anaïs Rémi Océane Loïc Zoé Clément Pauline Adrien Justine Bastien Clémence Grégoire "
            "Maëlle Thibault Séverine Cédric Agathe Étienne Sandrine Régis Gaëlle"
        ),
        _words(
            "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
            "Lefèvre Michel Garnier Rousseau Fournier Girard Bonnet Dupont Lambert Fontaine "
            "Chevalier Faure Gauthier Mercier Blanc Guérin Boucher Lefebvre Roux Vincent Gaillard "
            "Morel Girault André Lemaire Chauvin Barbier Brun Renaud Noël Caron Perrin Marchand "
            "Dumont Lacroix Aubert Lévêque Besnard Pelletier Collet"
        ),
        _choices(
            "rue de Rivoli | avenue des Champs-Élysées | boulevard Saint-Germain | rue de la Paix | "
            "rue Victor-Hugo | place Bellecour | rue de la République | avenue Jean-Jaurès | quai "
            "des Célestins | rue Sainte-Catherine"
        ),
        "{n} {street}",
        ("courriel.example", "example.com", "example.org"),
    ),
    Locale(
        "ar",
        9,
        (
            Place("AE", "Dubai", "", "", "Asia/Dubai", "+971 50 ### ####"),
            Place("SA", "Riyadh", "", "1####", "Asia/Riyadh", "+966 5# ### ####"),
            Place("EG", "Cairo", "", "11###", "Africa/Cairo", "+20 10 #### ####"),
            Place("JO", "Amman", "", "11###", "Asia/Amman", "+962 7# ### ####"),
            Place("PS", "Ramallah", "West Bank", "", "Asia/Hebron", "+970 59# ### ###"),
        ),
        _words(
            "Omar Layla Ahmed Fatima Youssef Mariam Khaled Nour Hassan Salma Karim Huda Tariq Rania "
            "Samir Yasmin Ali Amira Mahmoud Dalia Bilal Hala Ziad Lina Nabil Reem Fadi Mona Rami "
            "Jana Walid Sana"
        ),
        _words(
            "Haddad Khalil Mansour Nasser Saleh Hamdan Awad Barakat Qasim Darwish Al-Masri Al-Sayed "
            "Hijazi Shami Suleiman Jaber Odeh Aziz Karam Rahman Abboud Farah Habib Issa Khoury "
            "Maalouf Nassar Qureshi Sabbagh Tamimi Zein Bishara Hourani Shaheen"
        ),
        _choices(
            "Sheikh Zayed Road | King Fahd Road | Al Rasheed Street | Tahrir Street | Rainbow "
            "Street | Al Irsal Street | Corniche Road | Mecca Street"
        ),
        "{n} {street}",
        ("bareed.example", "example.com", "example.net"),
        script_first_names=_pairs(
            "محمد:mohammed ليلى:layla أحمد:ahmed فاطمة:fatima يوسف:youssef مريم:mariam خالد:khaled نور:nour "
            "حسن:hassan سلمى:salma عمر:omar رانيا:rania طارق:tariq هدى:huda كريم:karim"
        ),
        script_last_names=_pairs(
            "حداد:haddad خليل:khalil منصور:mansour ناصر:nasser صالح:saleh العلي:alali حمدان:hamdan عواد:awad "
            "بركات:barakat درويش:darwish السيد:alsayed المصري:almasri جابر:jaber عودة:odeh كرم:karam"
        ),
    ),
    Locale(
        "tr",
        8,
        (
            Place("TR", "İstanbul", "", "34###", "Europe/Istanbul", "+90 5## ### ## ##"),
            Place("TR", "Ankara", "", "06###", "Europe/Istanbul", "+90 5## ### ## ##"),
            Place("TR", "İzmir", "", "35###", "Europe/Istanbul", "+90 5## ### ## ##"),
            Place("DE", "Berlin", "", "10###", "Europe/Berlin", "+49 176 ########"),
        ),
        _words(
            "Ayşe Mehmet Fatma Mustafa Zeynep Ahmet Elif Yusuf Emine Hüseyin Büşra İbrahim Şeyma "
            "Murat Gülşen Çağan Özlem Barış Merve Oğuz Kübra Emre Tuğba Burak Esra Serkan Gizem "
            "Onur Derya Volkan Ebru Hakan Sevgi Cem Nazlı Ümit Aslı Kerem"
        ),
        _words(
            "Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan Doğan Kılıç "
            "Aslan Çetin Kara Koç Kurt Özkan Şimşek Polat Erdoğan Güneş Aksoy Korkmaz Bulut Tekin "
            "Uçar Karaca Ateş Güler Bozkurt Taş Ünal Keskin Türk Acar Sarı"
        ),
        _choices(
            "İstiklal Caddesi | Bağdat Caddesi | Atatürk Bulvarı | Cumhuriyet Caddesi | Kıbrıs "
            "Şehitleri Caddesi | Gazi Mustafa Kemal Bulvarı | Çiçek Sokak"
        ),
        "{street} No: {n}",
        ("posta.example", "example.com"),
    ),
    Locale(
        "pl",
        7,
        (
            Place("PL", "Warszawa", "mazowieckie", "0#-###", "Europe/Warsaw", "+48 5## ### ###"),
            Place("PL", "Kraków", "małopolskie", "3#-###", "Europe/Warsaw", "+48 6## ### ###"),
            Place("PL", "Gdańsk", "pomorskie", "80-###", "Europe/Warsaw", "+48 7## ### ###"),
            Place("PL", "Wrocław", "dolnośląskie", "5#-###", "Europe/Warsaw", "+48 5## ### ###"),
        ),
        _words(
            "Małgorzata Piotr Agnieszka Krzysztof Katarzyna Tomasz Joanna Paweł Magdalena Łukasz "
            "Ewa Michał Zofia Jakub Aleksandra Wojciech Dorota Grzegorz Jolanta Bartłomiej Marta "
            "Andrzej Beata Mariusz Iwona Rafał Monika Marek Urszula Sławomir Halina Jędrzej "
            "Elżbieta Przemysław Bożena Zbigniew Renata"
        ),
        _words(
            "Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański "
            "Woźniak Dąbrowski Kozłowski Jankowski Mazur Krawczyk Piotrowski Grabowski Pawłowski "
            "Michalski Król Wieczorek Jabłoński Wróbel Nowakowski Majewski Olszewski Stępień "
            "Malinowski Jaworski Adamczyk Dudek Nowicki Pająk Górski Witkowski Walczak Sikora Baran "
            "Rutkowski Michalak"
        ),
        _choices(
            "ul. Marszałkowska | ul. Długa | ul. Piotrkowska | al. Jerozolimskie | ul. "
            "Świętokrzyska | ul. Floriańska | ul. Grunwaldzka | ul. Żeromskiego"
        ),
        "{street} {n}",
        ("poczta.example", "example.com"),
    ),
    Locale(
        "ja",
        8,
        (
            Place("JP", "Tokyo", "Tōkyō-to", "1##-####", "Asia/Tokyo", "+81 90 #### ####"),
            Place("JP", "Osaka", "Ōsaka-fu", "5##-####", "Asia/Tokyo", "+81 80 #### ####"),
            Place("JP", "Kyoto", "Kyōto-fu", "60#-####", "Asia/Tokyo", "+81 70 #### ####"),
        ),
        _words(
            "Haruto Yui Sōta Aoi Ren Hina Yūto Sakura Kenji Yōko Shōta Emi Daiki Misaki Ryōta Aiko "
            "Takumi Naomi Kōji Yuka Hiroshi Mai Takeshi Ayaka Kazuki Nanami Shun Rina Yūji Kaori "
            "Tsubasa Chihiro Shin Mayu Kōhei Asuka Ryūnosuke Hikari"
        ),
        _words(
            "Satō Suzuki Takahashi Tanaka Watanabe Itō Yamamoto Nakamura Kobayashi Katō Yoshida "
            "Yamada Sasaki Yamaguchi Matsumoto Inoue Kimura Hayashi Saitō Shimizu Yamazaki Mori Abe "
            "Ikeda Hashimoto Ishikawa Ogawa Gotō Okada Hasegawa Fujita Kondō Murakami Endō Aoki "
            "Sakamoto Fujii Nishimura Fukuda Ōta Miura Okamoto Matsuda"
        ),
        _choices("Shibuya | Shinjuku | Chūō | Minato | Setagaya | Umeda | Namba | Nakagyō"),
        "{n} {street}",
        ("yubin.example", "example.com"),
    ),
)

#: Share of Arabic-locale customers whose names are written in Arabic script.
ARABIC_SCRIPT_SHARE = 0.5

_TRANSLIT = str.maketrans({"ß": "ss", "ł": "l", "Ł": "L", "ı": "i", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d"})


def ascii_slug(text: str) -> str:
    """``"Jürgen Weiß"`` -> ``"jurgenweiss"``: the ASCII letters and digits of a name, for emails."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def fill_pattern(rng: random.Random, pattern: str) -> str:
    """``#`` -> a digit, ``A`` -> an upper-case letter; everything else is kept."""
    out = []
    for ch in pattern:
        if ch == "#":
            out.append(str(rng.randrange(10)))
        elif ch == "A":
            out.append(chr(ord("A") + rng.randrange(26)))
        else:
            out.append(ch)
    return "".join(out)


def pick_locale(rng: random.Random) -> Locale:
    return rng.choices(LOCALES, weights=[loc.weight for loc in LOCALES])[0]


# --- organisations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationSpec:
    name: str
    domain: str
    language: str
    country: str
    notes: str = ""


ORGANISATIONS: tuple[OrganisationSpec, ...] = (
    OrganisationSpec(
        "SparePartsPro GmbH",
        "sparepartspro.example",
        "de",
        "DE",
        "Spare-parts distributor; ships B2B orders with DHL Freight, UPS and DB Schenker.",
    ),
    OrganisationSpec(
        "Fancy Retail Inc.", "fancyretail.example", "en", "US", "Apparel retailer (Fancy Shirt line)."
    ),
    OrganisationSpec(
        "Bright Gadgets Ltd", "brightgadgets.example", "en", "GB", "Electronics retailer, 14 stores."
    ),
    OrganisationSpec("TechHaus Köln GmbH", "techhaus.example", "de", "DE", "Electronics store chain."),
    OrganisationSpec("Électro Plus SARL", "electroplus.example", "fr", "FR", "Online electronics shop."),
    OrganisationSpec("Mercado Digital S.L.", "mercadodigital.example", "es", "ES", "Marketplace seller."),
    OrganisationSpec(
        "Anadolu Elektronik A.Ş.", "anadolu.example", "tr", "TR", "Retailer and repair partner."
    ),
    OrganisationSpec("Sklep Gadżet Sp. z o.o.", "gadzet.example", "pl", "PL", "Gadget reseller."),
    OrganisationSpec("Al Noor Trading LLC", "alnoor.example", "ar", "AE", "Distributor for the Gulf region."),
    OrganisationSpec(
        "Sakura Denki K.K.", "sakuradenki.example", "ja", "JP", "Consumer-electronics importer."
    ),
)

_ORG_WORDS = (
    "Atlas",
    "Nordic",
    "Delta",
    "Summit",
    "Harbor",
    "Vertex",
    "Polar",
    "Orion",
    "Crescent",
    "Pioneer",
    "Cobalt",
    "Meridian",
    "Falcon",
    "Evergreen",
    "Lumen",
    "Quantum",
    "Granite",
    "Horizon",
)
_ORG_TRADES = ("Parts", "Electronics", "Supply", "Trading", "Retail", "Gadgets", "Components", "Distribution")
_ORG_SUFFIX = {
    "en": "Ltd",
    "es": "S.L.",
    "de": "GmbH",
    "fr": "SARL",
    "ar": "LLC",
    "tr": "A.Ş.",
    "pl": "Sp. z o.o.",
    "ja": "K.K.",
}


def generated_organisations(rng: random.Random, count: int) -> list[OrganisationSpec]:
    """``count`` more organisations with distinct names, for the larger scales."""
    specs: list[OrganisationSpec] = []
    seen = {o.name for o in ORGANISATIONS}
    while len(specs) < count:
        locale = pick_locale(rng)
        name = f"{rng.choice(_ORG_WORDS)} {rng.choice(_ORG_TRADES)} {_ORG_SUFFIX[locale.language]}"
        if name in seen:
            name = f"{name.rsplit(' ', 1)[0]} {len(specs) + 2} {_ORG_SUFFIX[locale.language]}"
            if name in seen:
                continue
        seen.add(name)
        specs.append(
            OrganisationSpec(
                name, f"{ascii_slug(name)[:40]}.example", locale.language, locale.places[0].country
            )
        )
    return specs


JOB_TITLES = {
    "en": ("Purchasing Manager", "Store Manager", "Buyer", "Operations Lead", "Owner"),
    "es": ("Jefe de Compras", "Gerente de Tienda", "Comprador", "Responsable de Logística"),
    "de": ("Einkaufsleiter", "Filialleiterin", "Disponent", "Geschäftsführer", "Logistikleiterin"),
    "fr": ("Responsable des achats", "Gérant de magasin", "Acheteuse", "Directeur logistique"),
    "ar": ("Purchasing Manager", "Operations Manager", "مدير المشتريات"),
    "tr": ("Satın Alma Müdürü", "Mağaza Müdürü", "Lojistik Sorumlusu"),
    "pl": ("Kierownik zakupów", "Kierownik sklepu", "Specjalista ds. logistyki"),
    "ja": ("Kōbai Buchō", "Tenchō", "Buyer"),
}

TAGS = (
    "vip",
    "newsletter",
    "b2b",
    "wholesale",
    "returns",
    "loyalty-gold",
    "loyalty-silver",
    "early-adopter",
    "gaming",
    "audio",
    "mobile",
    "spare-parts",
    "apparel",
)

SOCIAL_PLATFORMS = ("instagram", "x", "facebook", "whatsapp", "tiktok")

PREFERRED_CHANNELS = (("email", 50), ("phone", 20), ("chat", 12), ("portal", 10), ("sms", 8))


# --- the timeline ---------------------------------------------------------------------------

PRODUCTS = {
    "headphones": "AuraSound X2 wireless headphones",
    "laptop": "Titan G15 gaming laptop",
    "accessory": "PowerSnap charging case for Nova 12",
    "shirt": "Fancy Shirt (M) T-12377",
    "watch": "Pulse S3 smartwatch",
    "camera": "TrailCam 4K action camera",
    "speaker": "Boom Mini Bluetooth speaker",
    "hub": "Dock7 USB-C hub",
    "brakes": "brake pad set BP-4471 (pallet of 40)",
    "filters": "oil filter OF-220 (case of 100)",
}
CARRIERS = ("DHL", "UPS", "FedEx", "DPD", "GLS", "DB Schenker", "Aramex", "Yamato")

#: Inbound questions in the customer's own language (the rest are in English).
LOCAL_PHRASES: dict[str, dict[str, str]] = {
    "order_status": {
        "es": "¿Dónde está mi pedido {order}?",
        "de": "Wo bleibt meine Bestellung {order}?",
        "fr": "Où en est ma commande {order} ?",
        "tr": "{order} numaralı siparişim nerede?",
        "pl": "Gdzie jest moje zamówienie {order}?",
        "ar": "أين طلبي {order}؟",
        "ja": "Chūmon {order} no haisō jōkyō o oshiete kudasai.",
    },
    "headphones_stock": {
        "es": "¿Quedan auriculares inalámbricos AuraSound X2 en stock?",
        "de": "Sind die AuraSound X2 Kopfhörer aus der Aktion noch auf Lager?",
        "fr": "Le casque sans fil AuraSound X2 est-il encore en stock ?",
        "tr": "AuraSound X2 kablosuz kulaklık stokta var mı?",
        "pl": "Czy słuchawki AuraSound X2 z promocji są jeszcze dostępne?",
        "ar": "هل سماعات AuraSound X2 اللاسلكية متوفرة في المخزون؟",
        "ja": "AuraSound X2 no zaiko wa mada arimasu ka?",
    },
}


@dataclass(frozen=True)
class Step:
    direction: str  # inbound / outbound / internal
    summary: str
    body: str = ""
    actor: str = ""  # staff username; "" = any agent (outbound) or none (inbound)
    after_hours: tuple[int, int] = (0, 0)  # delay after the previous step, in hours (min, max)


@dataclass(frozen=True)
class Topic:
    key: str
    weight: int
    channels: tuple[str, ...]
    steps: tuple[Step, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        "order_status",
        22,
        ("email", "phone", "chat", "portal"),
        (
            Step(
                "inbound",
                "Where is my order {order}?",
                "Hi, I ordered on {date} and have no tracking update yet.",
            ),
            Step(
                "outbound",
                "Shared tracking for {order}: with {carrier}, due in {days} days",
                "Your parcel {tracking} is with {carrier} and should arrive in {days} days.",
                after_hours=(1, 20),
            ),
        ),
    ),
    Topic(
        "headphones_stock",
        14,
        ("chat", "email", "social", "phone"),
        (
            Step("inbound", "Is the {headphones} from the promotion still in stock?"),
            Step(
                "outbound",
                "Low stock on {headphones}, still available for immediate shipping",
                "Good news: we still have a few units and can ship today if you order now.",
                after_hours=(0, 3),
            ),
        ),
    ),
    Topic(
        "laptop_hold",
        7,
        ("phone", "email", "chat"),
        (
            Step("inbound", "Gaming laptop order {order} on hold - when will it ship?"),
            Step(
                "outbound",
                "Explained hold on {order}: {laptop} arrives with an inbound shipment in 2 days",
                "The laptop is reserved for you; we ship it as soon as the inbound shipment is booked in.",
                after_hours=(0, 4),
            ),
        ),
    ),
    Topic(
        "accessory_backorder",
        7,
        ("email", "portal", "social"),
        (
            Step(
                "inbound",
                "{accessory} backordered again - third time this month",
                "I keep getting 'backordered' emails. Can you give me a real date?",
            ),
            Step(
                "outbound",
                "Apologised for the repeated backorder of {accessory}; new ETA in {days} days",
                actor="elias",
                after_hours=(2, 30),
            ),
            Step(
                "internal",
                "Flagged recurring backorder of {accessory} to Product Management",
                actor="elias",
                after_hours=(0, 2),
            ),
        ),
    ),
    Topic(
        "account_access",
        5,
        ("portal", "phone", "email"),
        (
            Step("inbound", "Cannot log in to my account - password reset link does not arrive"),
            Step(
                "outbound",
                "Verified identity (order number and postcode) before helping",
                after_hours=(1, 20),
            ),
            Step("internal", "Escalated login problem to Technical Support", after_hours=(0, 1)),
            Step(
                "outbound",
                "Follow-up: customer confirmed they can sign in again",
                actor="omar",
                after_hours=(4, 40),
            ),
        ),
    ),
    Topic(
        "shirt_quality",
        4,
        ("email", "portal"),
        (
            Step("inbound", "Shirt worn out after only 1 week", "The {shirt} is already worn at the elbows."),
            Step("outbound", "Offered a replacement for the {shirt}", actor="isabella", after_hours=(2, 48)),
        ),
    ),
    Topic(
        "delivery_exception",
        8,
        ("phone", "email"),
        (
            Step("inbound", "Delivery attempt failed for {order} - nobody told me"),
            Step(
                "outbound",
                "Rebooked delivery of {order} with {carrier} for tomorrow",
                actor="thomas",
                after_hours=(0, 5),
            ),
        ),
    ),
    Topic(
        "return",
        9,
        ("email", "portal", "chat"),
        (
            Step("inbound", "Wrong size - how do I return my order {order}?"),
            Step("outbound", "Sent a prepaid return label for {order}", after_hours=(1, 24)),
        ),
    ),
    Topic(
        "refund",
        6,
        ("email", "phone"),
        (
            Step("inbound", "Refund for returned {product} not received yet"),
            Step(
                "outbound", "Refund of {amount} for {order} confirmed, 3-5 business days", after_hours=(2, 48)
            ),
        ),
    ),
    Topic(
        "loyalty",
        5,
        ("chat", "portal", "email"),
        (
            Step("inbound", "How do I redeem my loyalty points?"),
            Step("outbound", "Explained point redemption: {points} points available", after_hours=(0, 2)),
        ),
    ),
    Topic(
        "product_question",
        8,
        ("chat", "email", "social"),
        (
            Step("inbound", "Does the {product} work with my phone?"),
            Step("outbound", "Answered compatibility question about the {product}", after_hours=(0, 6)),
        ),
    ),
    Topic(
        "praise",
        4,
        ("social", "email", "chat"),
        (Step("inbound", "Thanks for the quick help with my order!"),),
    ),
    Topic("order_placed", 14, ("web",), (Step("order", "Order {order} placed: {product}, {amount}"),)),
)

#: Interaction kind for each channel (inbound/outbound messages).
CHANNEL_KIND = {
    "email": "email",
    "phone": "call",
    "chat": "chat",
    "social": "social",
    "portal": "message",
    "web": "order",
}

CURRENCY = {
    "US": "USD",
    "GB": "GBP",
    "AU": "AUD",
    "MX": "MXN",
    "CO": "COP",
    "CH": "CHF",
    "JP": "JPY",
    "TR": "TRY",
    "PL": "PLN",
    "AE": "AED",
    "SA": "SAR",
    "EG": "EGP",
    "JO": "JOD",
    "PS": "ILS",
    "CA": "CAD",
}


def _order_number(rng: random.Random) -> str:
    return f"SO-{rng.randrange(200000, 299999)}"


def fill_values(rng: random.Random, *, country: str, when: datetime) -> dict[str, Any]:
    """Plausible values for a template's placeholders: a product, an order number, a carrier..."""
    product_key = rng.choice(("watch", "camera", "speaker", "hub", "headphones", "accessory"))
    amount = rng.randrange(1500, 45000) / 100
    return {
        **PRODUCTS,
        "product": PRODUCTS[product_key],
        "order": _order_number(rng),
        "carrier": rng.choice(CARRIERS),
        "tracking": f"1Z{rng.randrange(10**9, 10**10)}",
        "days": rng.randrange(1, 6),
        "amount": f"{amount:.2f} {CURRENCY.get(country, 'EUR')}",
        "points": rng.randrange(50, 4000),
        "date": (when - timedelta(days=rng.randrange(2, 9))).strftime("%d %b"),
    }


def fill(rng: random.Random, text: str, *, country: str, when: datetime) -> str:
    """Fill a summary template's placeholders with plausible values."""
    if "{" not in text:
        return text
    return text.format(**fill_values(rng, country=country, when=when))


@dataclass
class InteractionSpec:
    occurred_at: datetime
    kind: str
    channel: str
    direction: str
    summary: str
    body: str = ""
    is_internal: bool = False
    actor: str = ""  # staff username
    data: dict[str, Any] = field(default_factory=dict)


def timeline(
    rng: random.Random,
    *,
    now: datetime,
    since: datetime,
    language: str,
    country: str,
    agents: tuple[str, ...],
    count: int,
) -> list[InteractionSpec]:
    """About ``count`` interactions between ``since`` and ``now``: conversations on a topic, each an
    inbound message and the replies, notes and follow-ups it led to."""
    entries: list[InteractionSpec] = []
    span = max((now - since).total_seconds(), 3600.0)
    weights = [t.weight for t in TOPICS]
    while len(entries) < count:
        topic = rng.choices(TOPICS, weights=weights)[0]
        channel = rng.choice(topic.channels)
        when = since + timedelta(seconds=rng.random() * span)
        for step in topic.steps:
            low, high = step.after_hours
            when = when + timedelta(hours=rng.uniform(low, high)) if high else when
            if when > now:
                break
            summary = step.summary
            if step.direction == "inbound" and topic.key in LOCAL_PHRASES and rng.random() < 0.6:
                summary = LOCAL_PHRASES[topic.key].get(language, summary)
            summary = fill(rng, summary, country=country, when=when)[:255]
            body = fill(rng, step.body, country=country, when=when) if step.body else ""
            if step.direction == "order":
                entries.append(InteractionSpec(when, "order", "web", "inbound", summary))
            elif step.direction == "internal":
                entries.append(
                    InteractionSpec(
                        when,
                        "note",
                        channel,
                        "internal",
                        summary,
                        body,
                        True,
                        step.actor or rng.choice(agents),
                    )
                )
            else:
                actor = "" if step.direction == "inbound" else (step.actor or rng.choice(agents))
                entries.append(
                    InteractionSpec(
                        when, CHANNEL_KIND[channel], channel, step.direction, summary, body, actor=actor
                    )
                )
    entries.sort(key=lambda e: e.occurred_at)
    return entries[:count]


# --- the people the seeds name ------------------------------------------------------------------


@dataclass(frozen=True)
class StoryStep:
    days_ago: float
    kind: str
    channel: str
    direction: str
    summary: str
    body: str = ""
    actor: str = ""
    is_internal: bool = False


@dataclass(frozen=True)
class StoryCustomer:
    """A customer a seed talks about, with the interactions that tell their story."""

    key: str
    first_name: str
    last_name: str
    email: str
    phone: str
    language: str
    country: str
    city: str
    line1: str
    postal_code: str
    time_zone: str
    region: str = ""
    organisation: str = ""
    job_title: str = ""
    portal_username: str = ""  # gets a portal login (role customer) with DEMO_PASSWORD
    tags: tuple[str, ...] = ()
    preferred_channel: str = "email"
    marketing_consent: bool = False
    story: tuple[StoryStep, ...] = ()


#: The customers the seeds talk about. ``story`` is their history before the cases of
#: ``demo_cases.story_scripts`` (which tell the conversations of the seeds): their orders.
STORY_CUSTOMERS: tuple[StoryCustomer, ...] = (
    StoryCustomer(
        "justine",
        "Justine",
        "Harrington",
        "justine.harrington@example.com",
        "+1 415 555 0134",
        "en",
        "US",
        "San Francisco",
        "1200 Market Street",
        "94102",
        "America/Los_Angeles",
        region="CA",
        portal_username="justine",
        tags=("vip", "apparel"),
        marketing_consent=True,
        story=(
            StoryStep(
                24, "order", "web", "inbound", "Order SO-204518 placed: Fancy Shirt (M) T-12377, 74.98 USD"
            ),
        ),
    ),
    StoryCustomer(
        "camille",
        "Camille",
        "Laurent",
        "camille.laurent@courriel.example",
        "+33 6 12 34 56 78",
        "fr",
        "FR",
        "Lyon",
        "14 place Bellecour",
        "69002",
        "Europe/Paris",
        portal_username="",
        tags=("returns",),
        story=(
            StoryStep(
                12, "order", "web", "inbound", "Order SO-207743 placed: Pulse S3 smartwatch, 44.00 EUR"
            ),
        ),
    ),
    StoryCustomer(
        "carlos",
        "Carlos",
        "Méndez",
        "carlos.mendez@correo.example",
        "+34 612 345 678",
        "es",
        "ES",
        "Madrid",
        "Calle de Alcalá 45",
        "28014",
        "Europe/Madrid",
        portal_username="carlos",
        preferred_channel="portal",
        tags=("loyalty-silver",),
        story=(
            StoryStep(
                9, "order", "web", "inbound", "Order SO-208120 placed: 3 x Fancy Shirt (L), 211.00 USD"
            ),
        ),
    ),
    StoryCustomer(
        "haruto",
        "Haruto",
        "Satō",
        "haruto.sato@yubin.example",
        "+81 90 1234 5678",
        "ja",
        "JP",
        "Tokyo",
        "2-14-5 Shibuya",
        "150-0002",
        "Asia/Tokyo",
        region="Tōkyō-to",
        story=(
            StoryStep(
                15, "order", "web", "inbound", "Order SO-206001 placed: TrailCam 4K action camera, 98.00 USD"
            ),
        ),
    ),
    StoryCustomer(
        "agnieszka",
        "Agnieszka",
        "Kowalczyk",
        "agnieszka.kowalczyk@poczta.example",
        "+48 501 234 567",
        "pl",
        "PL",
        "Kraków",
        "ul. Floriańska 12",
        "31-019",
        "Europe/Warsaw",
        portal_username="agnieszka",
        preferred_channel="portal",
        story=(
            StoryStep(40, "order", "web", "inbound", "Order SO-203377 placed: Dock7 USB-C hub, 59.00 PLN"),
        ),
    ),
    StoryCustomer(
        "yusuf",
        "Yusuf",
        "Demir",
        "yusuf.demir@posta.example",
        "+90 532 111 22 33",
        "tr",
        "TR",
        "İstanbul",
        "Bağdat Caddesi No: 210",
        "34728",
        "Europe/Istanbul",
        tags=("audio",),
        preferred_channel="chat",
    ),
    StoryCustomer(
        "kevin",
        "Kevin",
        "Walsh",
        "kevin.walsh@example.com",
        "+1 312 555 0177",
        "en",
        "US",
        "Chicago",
        "77 Oak Avenue",
        "60611",
        "America/Chicago",
        region="IL",
        tags=("gaming",),
        preferred_channel="phone",
        story=(
            StoryStep(
                6, "order", "web", "inbound", "Order 10023 placed: Titan G15 gaming laptop, 1,903.90 EUR"
            ),
        ),
    ),
    StoryCustomer(
        "ayse",
        "Ayşe",
        "Yılmaz",
        "ayse.yilmaz@posta.example",
        "+90 532 123 45 67",
        "tr",
        "DE",
        "Berlin",
        "Oranienstraße 24",
        "10999",
        "Europe/Berlin",
        portal_username="ayse",
        tags=("mobile",),
        preferred_channel="portal",
        marketing_consent=True,
        story=(
            StoryStep(
                60,
                "order",
                "web",
                "inbound",
                "Order SO-201560 placed: PowerSnap charging case for Nova 12, 39.90 EUR",
            ),
            StoryStep(
                45, "email", "email", "outbound", "PowerSnap charging case backordered - new date in 2 weeks"
            ),
            StoryStep(20, "email", "email", "outbound", "PowerSnap charging case backordered again"),
        ),
    ),
    StoryCustomer(
        "juergen",
        "Jürgen",
        "Weiß",
        "j.weiss@sparepartspro.example",
        "+49 40 1234567",
        "de",
        "DE",
        "Hamburg",
        "Am Sandtorkai 12",
        "20457",
        "Europe/Berlin",
        organisation="SparePartsPro GmbH",
        job_title="Einkaufsleiter",
        tags=("b2b", "spare-parts", "vip"),
        preferred_channel="phone",
        story=(
            StoryStep(
                10,
                "order",
                "web",
                "inbound",
                "Order SO-205800 placed: brake pad set BP-4471 (pallet of 40), 3,420.00 EUR",
            ),
        ),
    ),
    StoryCustomer(
        "katrin",
        "Katrin",
        "Schulz",
        "k.schulz@sparepartspro.example",
        "+49 40 1234568",
        "de",
        "DE",
        "Hamburg",
        "Am Sandtorkai 12",
        "20457",
        "Europe/Berlin",
        organisation="SparePartsPro GmbH",
        job_title="Disponentin",
        tags=("b2b", "spare-parts"),
        story=(
            StoryStep(
                5,
                "order",
                "web",
                "inbound",
                "Order SO-205912 placed: oil filter OF-220 (case of 100), 890.00 EUR",
            ),
        ),
    ),
    StoryCustomer(
        "megan",
        "Megan",
        "Carter",
        "megan.carter@fancyretail.example",
        "+1 212 555 0186",
        "en",
        "US",
        "New York",
        "350 Fifth Avenue",
        "10118",
        "America/New_York",
        region="NY",
        organisation="Fancy Retail Inc.",
        job_title="Buyer",
        tags=("b2b", "wholesale", "apparel"),
        story=(
            StoryStep(
                30,
                "order",
                "web",
                "inbound",
                "Order SO-202288 placed: 240 x Fancy Shirt T-12377 (S-XL), 10,795.20 USD",
            ),
        ),
    ),
)

#: A second record of Justine, made on the phone, so the duplicates page has an obvious pair.
JUSTINE_TWIN = ("Justine", "Harington", "Justine.Harrington@example.com")


# --- one generated customer --------------------------------------------------------------------


@dataclass
class CustomerSpec:
    first_name: str
    last_name: str
    language: str
    place: Place
    email: str
    phone: str
    extra_email: str = ""
    social: tuple[str, str] | None = None  # (platform, handle)
    line1: str = ""
    postal_code: str = ""
    billing: bool = False
    organisation: int | None = None  # index into the organisation list
    job_title: str = ""
    tags: list[str] = field(default_factory=list)
    preferred_channel: str = "email"
    marketing_consent: bool = False
    external_id: str = ""
    created_at: datetime | None = None
    interactions: list[InteractionSpec] = field(default_factory=list)


class CustomerGenerator:
    """Draws customers one after the other; remembers used emails so each is unique."""

    def __init__(
        self, rng: random.Random, *, now: datetime, agents: tuple[str, ...], organisations: int
    ) -> None:
        self.rng = rng
        self.now = now
        self.agents = agents
        self.organisations = organisations
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        self.sequence = 0

    def name(self, locale: Locale) -> tuple[str, str, str, str]:
        """(first, last, first in ASCII, last in ASCII)."""
        rng = self.rng
        if locale.script_first_names and rng.random() < ARABIC_SCRIPT_SHARE:
            first, first_ascii = rng.choice(locale.script_first_names)
            last, last_ascii = rng.choice(locale.script_last_names)
            return first, last, first_ascii, last_ascii
        first, last = rng.choice(locale.first_names), rng.choice(locale.last_names)
        if locale.language == "es" and rng.random() < 0.5:  # two surnames: García López
            second = rng.choice(locale.last_names)
            if second != last:
                last = f"{last} {second}"
        elif locale.language == "pl" and first.endswith("a"):  # Wiśniewski -> Wiśniewska
            last = feminine_polish(last)
        return first, last, ascii_slug(first), ascii_slug(last.split(" ")[0])

    def email_for(self, first: str, last: str, domain: str) -> str:
        rng = self.rng
        style = rng.randrange(4)
        local = (f"{first}.{last}", f"{first[0]}{last}", f"{first}{last}", f"{first}_{last}")[
            style
        ] or "customer"
        email = f"{local}@{domain}"
        while email in self.emails:
            email = f"{local}{rng.randrange(2, 999)}@{domain}"
        self.emails.add(email)
        return email

    def phone_for(self, place: Place) -> str:
        """A phone number no earlier customer has (unless the place's ranges run out)."""
        for _attempt in range(20):
            phone = fill_pattern(self.rng, self.rng.choice(place.phone.split("|")))
            if phone not in self.phones:
                break
        self.phones.add(phone)
        return phone

    def customer(self) -> CustomerSpec:
        rng = self.rng
        self.sequence += 1
        locale = pick_locale(rng)
        place = rng.choice(locale.places)
        first, last, first_ascii, last_ascii = self.name(locale)
        spec = CustomerSpec(first, last, locale.language, place, "", "")
        if rng.random() < 0.15 and self.organisations:
            spec.organisation = rng.randrange(self.organisations)
            spec.job_title = rng.choice(JOB_TITLES[locale.language])
        if rng.random() < 0.95:
            spec.email = self.email_for(first_ascii, last_ascii, rng.choice(locale.email_domains))
        if rng.random() < 0.6 or not spec.email:
            spec.phone = self.phone_for(place)
        roll = rng.random()
        if roll < 0.1 and spec.email:
            spec.extra_email = self.email_for(
                first_ascii, last_ascii + str(rng.randrange(10, 99)), "example.net"
            )
        elif roll < 0.2:
            spec.social = (rng.choice(SOCIAL_PLATFORMS), f"{first_ascii}.{last_ascii}{rng.randrange(100)}")
        if rng.random() < 0.85:
            spec.line1 = locale.address_format.format(
                n=rng.randrange(1, 250), street=rng.choice(locale.streets)
            )
            spec.postal_code = fill_pattern(rng, place.postal)
            spec.billing = rng.random() < 0.15
        spec.tags = sorted(set(rng.sample(TAGS, k=rng.choice((0, 0, 1, 1, 2, 3)))))
        if spec.organisation is not None and "b2b" not in spec.tags:
            spec.tags.append("b2b")
        spec.preferred_channel = rng.choices(
            [c for c, _ in PREFERRED_CHANNELS], weights=[w for _, w in PREFERRED_CHANNELS]
        )[0]
        spec.marketing_consent = rng.random() < 0.45
        if rng.random() < 0.8:
            spec.external_id = f"C-{100000 + self.sequence}"
        # Customer for 1 to 4 years; interactions in the last 18 months (or since they joined).
        spec.created_at = self.now - timedelta(days=rng.randrange(20, 4 * 365), hours=rng.randrange(24))
        since = max(spec.created_at, self.now - timedelta(days=548))
        spec.interactions = timeline(
            rng,
            now=self.now,
            since=since,
            language=locale.language,
            country=place.country,
            agents=self.agents,
            count=rng.randint(2, 15),
        )
        return spec

    def near_duplicate(self, original: CustomerSpec) -> CustomerSpec:
        """The same person entered again: same email in other case, same phone, or a typo in the name."""
        rng = self.rng
        twin = CustomerSpec(
            original.first_name, original.last_name, original.language, original.place, "", ""
        )
        kind = rng.randrange(3)
        if kind == 0 and original.email:
            twin.email = original.email.capitalize()
            twin.first_name = strip_accents(original.first_name)
        elif kind == 1 and original.phone:
            twin.phone = original.phone
            twin.email = self.email_for(
                ascii_slug(original.first_name) or "c", str(rng.randrange(1000)), "example.org"
            )
        else:
            twin.first_name = typo(rng, original.first_name)
            twin.phone = original.phone or self.phone_for(original.place)
        twin.created_at = self.now - timedelta(days=rng.randrange(1, 200))
        twin.interactions = timeline(
            rng,
            now=self.now,
            since=twin.created_at,
            language=original.language,
            country=original.place.country,
            agents=self.agents,
            count=rng.randint(1, 3),
        )
        return twin


def feminine_polish(surname: str) -> str:
    """The surname a Polish woman carries: -ski/-cki/-dzki become -ska/-cka/-dzka."""
    for male, female in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
        if surname.endswith(male):
            return surname[: -len(male)] + female
    return surname


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def typo(rng: random.Random, name: str) -> str:
    """Swap two neighbouring letters (``Katharina`` -> ``Katahrina``), as a hurried agent types."""
    if len(name) < 4:
        return name + name[-1]
    i = rng.randrange(1, len(name) - 2)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
