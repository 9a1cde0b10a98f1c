#!/usr/bin/env python3
"""Generates the EXTENDED NIR corpora once (deterministic seed), issue 10.

Run from this folder:  python3 generate_nir_extended.py
Outputs nir_extended_positive.txt and nir_extended_negative.txt, one case per
line. Line breaks, carriage returns and tabs inside a case are written escaped
(`\\n`, `\\r`, `\\t`, and `\\\\` for a backslash); tests/corpora.rs decodes them.
No-break spaces are written as themselves (UTF-8).

Positives: every separator x every grouping (uniform), every key separator
(« clé », « cle », « clef », colon, slash…) x every grouping, then random mixes
of separators inside sentences. Negatives: phone numbers, dates, IBANs, SIRET,
postcodes, amounts written with the same separators, and NIRs with a wrong key
in every layout. All numbers are random (fictitious), with a computed key.
"""
import random

rng = random.Random(20261010)

NBSP, NNBSP, THIN = "\u00a0", "\u202f", "\u2009"


def nir_key(body: str) -> int:
    b = body.upper()
    sub = 0
    if b[5:7] == "2A":
        b, sub = b[:5] + "20" + b[7:], 1_000_000
    elif b[5:7] == "2B":
        b, sub = b[:5] + "20" + b[7:], 2_000_000
    return 97 - (int(b) - sub) % 97


def random_body(overseas=False):
    sex = rng.choice("123478")
    yy = f"{rng.randrange(100):02d}"
    mm = f"{rng.choice(list(range(1, 13)) * 5 + list(range(20, 43)) + list(range(50, 100))):02d}"
    r = rng.random()
    if overseas:
        dept, commune = "97", f"{rng.choice('123456')}{rng.randrange(1, 100):02d}"
    elif r < 0.12:
        dept, commune = rng.choice(["2A", "2B", "2a", "2b"]), f"{rng.randrange(1, 1000):03d}"
    elif r < 0.2:
        dept, commune = "99", f"{rng.randrange(1, 1000):03d}"
    else:
        dept, commune = f"{rng.randrange(1, 96):02d}", f"{rng.randrange(1, 1000):03d}"
    order = f"{rng.randrange(1, 1000):03d}"
    return sex + yy + mm + dept + commune + order


# Groupings: the positions (characters of the 15) after which a separator goes.
GROUPINGS = {
    "compact": [],
    "1-2-2-2-3-3-2": [1, 3, 5, 7, 10, 13],
    "13+2": [13],
    "overseas 1-2-2-3-2-3-2": [1, 3, 5, 8, 10, 13],
    "7-6-2": [7, 13],
    "1-12-2": [1, 13],
    "1-2-2-2-6-2": [1, 3, 5, 7, 13],
    "1-2-2-8 (no key separator)": [1, 3, 5],
    "5-8-2": [5, 13],
    "1-2-2-2-3-5": [1, 3, 5, 7, 10],
}

SEPARATORS = [
    " ", "  ", "   ", "\t", NBSP, NNBSP, THIN, NBSP + " ", ".", "-", "/", " - ", " / ", ". ",
    " .", "\n", "\r\n", " \n ", "–", "‑",
]
KEY_SEPARATORS = [
    "/", " / ", " clé ", " cle ", " clef ", " Clé ", " CLÉ ", " clé : ", " clé: ", " clé :",
    " cle:", " clef : ", "clé", ", clé ", " - clé ", " clé" + NBSP + ":" + NBSP, NBSP + "clé" + NBSP,
    " (clé ", " cle\u0301 ", "\nclé : ", ", ", " , ",
]


def layout(body, key, cuts, sep_for):
    """sep_for(i, pos) gives the separator at the i-th cut (pos = characters before it)."""
    s = body + f"{key:02d}"
    out, last = [], 0
    for i, c in enumerate(cuts):
        out.append(s[last:c])
        out.append(sep_for(i, c))
        last = c
    out.append(s[last:])
    return "".join(out)


CONTEXTS = [
    "{n}",
    "NIR : {n}",
    "Numéro de sécurité sociale {n} à vérifier.",
    "L'assuré (n° {n}) n'a pas reçu sa carte Vitale.",
    "Merci de mettre à jour le dossier {n} avant vendredi.",
    "Madame Exemple, NIR {n}, demande une attestation de droits.",
    "Voici son numéro :\n{n}\nMerci.",
    "N° SS: {n}",
    "Le bénéficiaire {n} est accompagné par le CCAS.",
    "« {n} » est le numéro indiqué par l'assurée.",
    "Immatriculation\t{n}\tà contrôler",
    "Numéro de sécu {n}; adresse inconnue.",
]


def bodies(n, overseas=False):
    return [random_body(overseas) for _ in range(n)]


def positives():
    out = []
    ctx = 0

    def add(n):
        nonlocal ctx
        out.append(CONTEXTS[ctx % len(CONTEXTS)].format(n=n))
        ctx += 1

    # 1. every separator x every grouping, the same separator at every cut
    for name, cuts in GROUPINGS.items():
        seps = [""] if not cuts else SEPARATORS
        for sep in seps:
            body = random_body(overseas=name.startswith("overseas"))
            add(layout(body, nir_key(body), cuts, lambda i, c, sep=sep: sep))
    # 2. every key separator x every grouping (groups with a plain space, the key with it)
    for name, cuts in GROUPINGS.items():
        cuts = [c for c in cuts if c != 13] + [13]
        for ksep in KEY_SEPARATORS:
            body = random_body(overseas=name.startswith("overseas"))
            add(layout(body, nir_key(body), cuts,
                       lambda i, c, ksep=ksep: ksep if c == 13 else " "))
    # 3. random mixes: any separator at each cut, any key separator
    names = list(GROUPINGS)
    for _ in range(300):
        name = rng.choice(names)
        cuts = GROUPINGS[name]
        body = random_body(overseas=name.startswith("overseas"))

        def mixed(i, c):
            if c == 13 and rng.random() < 0.4:
                return rng.choice(KEY_SEPARATORS)
            return rng.choice(SEPARATORS + [""])

        add(layout(body, nir_key(body), cuts, mixed))
    return out


# ----------------------------------------------------------------- negatives
def luhn_ok(s):
    total = 0
    for i, c in enumerate(reversed(s)):
        d = int(c)
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def siret():
    while True:
        s = "".join(str(rng.randrange(10)) for _ in range(14))
        if luhn_ok(s):
            return s


def iban_fr():
    bban = f"{rng.randrange(10000, 99999)}{rng.randrange(10000, 99999)}{rng.randrange(10**10, 10**11)}{rng.randrange(100):02d}"
    check = 98 - int(bban + "152700") % 97
    return f"FR{check:02d}{bban}"


def digits(n):
    return "".join(str(rng.randrange(10)) for _ in range(n))


def phone():
    return "0" + str(rng.randrange(1, 10)) + digits(8)


def negatives():
    out = []
    seps = SEPARATORS + [""]
    # phone numbers, pairs of phone numbers, with every separator
    for sep in seps:
        for _ in range(3):
            p, q = phone(), phone()
            gp = sep.join(p[i:i + 2] for i in range(0, 10, 2))
            gq = sep.join(q[i:i + 2] for i in range(0, 10, 2))
            out.append(rng.choice([
                "Tél. {p}", "Rappeler au {p} après 14 h.", "Portable {p} / fixe {q}",
                "Tél : {p}\n{q}", "{p} ou {q}", "Standard : {p} - {q}",
                "Portable {p}, clé {k}",
            ]).format(p=gp, q=gq, k=f"{rng.randrange(1, 98):02d}"))
        p = phone()[1:]
        out.append(f"+33{sep}{p[0]}{sep}{p[1:3]}{sep}{p[3:5]}{sep}{p[5:7]}{sep}{p[7:9]}")
    # dates, alone and in lists
    for sep in ["/", ".", "-", " ", " / ", "\n"]:
        for _ in range(4):
            d, m, y = rng.randrange(1, 29), rng.randrange(1, 13), rng.randrange(1920, 2030)
            d2, m2 = rng.randrange(1, 29), rng.randrange(1, 13)
            out.append(rng.choice([
                "Né le {d:02d}{s}{m:02d}{s}{y}",
                "Du {d:02d}{s}{m:02d}{s}{y} au {e:02d}{s}{n:02d}{s}{z}",
                "Rendez-vous le {d}{s}{m}{s}{y} à 14h30 puis le {e}{s}{n}{s}{z}",
                "Dates : {d:02d}{s}{m:02d}{s}{y}, {e:02d}{s}{n:02d}{s}{z}",
            ]).format(d=d, m=m, y=y, e=d2, n=m2, z=y + 1, s=sep))
    # IBANs with every separator
    for sep in seps:
        for _ in range(2):
            ib = iban_fr()
            g = sep.join(ib[i:i + 4] for i in range(0, len(ib), 4))
            out.append(rng.choice(["IBAN : {g}", "RIB {g}", "Virement sur le compte {g} effectué."]).format(g=g))
            rib = ib[4:]  # bank (5), branch (5), account (11), key (2)
            out.append(f"RIB {sep.join([rib[:5], rib[5:10], rib[10:21], rib[21:]])}")
            digits_only = ib[4:]
            out.append(f"Compte {sep.join(digits_only[i:i + 5] for i in range(0, len(digits_only), 5))}")
    # SIRET / SIREN with every separator, and with « clé »
    for sep in seps:
        for _ in range(2):
            s = siret()
            out.append(rng.choice([
                "SIRET {a}{x}{b}{x}{c}{x}{d}", "SIRET {a}{b}{c}{x}{d}", "SIREN {a}{x}{b}{x}{c}",
                "Structure {a}{x}{b}{x}{c}{x}{d} clé {k}",
            ]).format(a=s[:3], b=s[3:6], c=s[6:9], d=s[9:], x=sep, k=f"{rng.randrange(1, 98):02d}"))
    # postcodes and addresses, several on a line
    for sep in [" ", "  ", ", ", " / ", "\n", " - "]:
        for _ in range(3):
            cps = [f"{rng.randrange(1000, 95999):05d}" for _ in range(3)]
            out.append(sep.join(f"{rng.randrange(1, 200)} rue des Exemples {cp} Villefictive" for cp in cps))
            out.append("Codes postaux : " + sep.join(cps))
    # amounts
    for _ in range(20):
        a = f"{rng.randrange(1, 9_999_999):,}".replace(",", rng.choice([" ", NBSP, NNBSP, "."]))
        out.append(rng.choice(["Montant : {a} €", "Reste à charge de {a} euros", "Facture de {a},50 € clé {k}"]).format(a=a, k=rng.randrange(10, 97)))
    # NIRs with a wrong key, in every grouping, with every separator and key separator
    names = list(GROUPINGS)
    for i in range(220):
        name = names[i % len(names)]
        cuts = GROUPINGS[name]
        body = random_body(overseas=name.startswith("overseas"))
        key = nir_key(body)
        wrong = (key + rng.randrange(1, 96)) % 97 + 1
        if wrong == key:
            wrong = key % 97 + 1

        def mixed(i, c):
            if c == 13 and rng.random() < 0.4:
                return rng.choice(KEY_SEPARATORS)
            return rng.choice(SEPARATORS + [""])

        out.append(rng.choice(["NIR erroné {n}", "{n}", "Numéro {n} (clé fausse)"]).format(n=layout(body, wrong, cuts, mixed)))
    # separators beyond the grammar: too many blanks, two line breaks, off-group cuts
    for _ in range(20):
        body = random_body()
        n = body + f"{nir_key(body):02d}"
        out.append(rng.choice([
            "{a}\n\n{b}", "{a}" + " " * 7 + "{b}", "{a} .. {b}", "{a} clés {b}",
        ]).format(a=n[:13], b=n[13:]))
        out.append(f"{n[:4]} {n[4:]}")  # cut after 4: not a NIR grouping
    # long numbers
    for _ in range(20):
        out.append(f"Référence de dossier {digits(rng.choice([11, 12, 16, 18, 20]))}")
    return out


def escape(s):
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def write(name, lines):
    with open(name, "w", encoding="utf-8") as f:
        for l in lines:
            e = escape(l)
            assert e.strip() and "\n" not in e, l
            f.write(e + "\n")
    print(name, len(lines))


write("nir_extended_positive.txt", positives())
write("nir_extended_negative.txt", negatives())
