#!/usr/bin/env python3
"""Builds data/common_passwords.txt and site/assets/mots-de-passe-courants.json ONCE.

Source: the first 10 000 entries of the « passwords » list of the npm package
@zxcvbn-ts/language-common 4.1.3 (MIT; zxcvbn's frequency-ranked list drawn from
the public Xato 10-million-password corpus of leaked passwords, the corpus
SecLists also ships), plus a short hand-written list of common French passwords
and words of this portal. Get the package with `npm pack @zxcvbn-ts/language-common@4.1.3`
and run:  python3 generate_common_passwords.py <package>/src/passwords.json

Each entry is stored NORMALISED as the server and the page compare it
(`ep_domain::password::blocklist_key`, `password.js` `blocklistKey`): lower-case,
accents removed, leading and trailing digits and symbols stripped, inner
non-alphanumerics removed; entries that end up shorter than 3 characters are
dropped. « Motdepasse123! », « mot de passe » and « MOTDEPASSE » all give
« motdepasse ».
"""
import json
import sys
import unicodedata

TOP = 10_000

FRENCH = """
motdepasse mot2passe mdp123 azerty azertyuiop azerty123 qsdfghjklm wxcvbn soleil bonjour bonsoir coucou
doudou loulou chouchou jetaime jetaimetoi moncoeur monamour chocolat caramel marseille
paris lyon toulouse bordeaux nantes lille france liberte doudoune nounours bisous
princesse chaton minou titou toto tata papa maman famille camille nicolas julien
thomas sebastien alexandre guillaume antoine pierre marie sophie isabelle nathalie
celine stephanie amandine aurelie laurent olivier philippe christophe frederic
vacances printemps automne hiver ete noel bienvenue salut merci football olympique
psg om allezlesbleus motdepasseoublie changermotdepasse nouveaumotdepasse
secret secret123 sesame ouvretoi espacepartenaires espacepartenaire partenaires
partenaire cpam ameli assurancemaladie securitesociale secu ccas caisse mutuelle
tutelle curatelle administrateur admin utilisateur connexion bienvenue123
""".split()


def fold(s):
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return s.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae").replace("ß", "ss").lower()


def key(pw):
    f = fold(pw)
    i, j = 0, len(f)
    while i < j and not f[i].isalpha():
        i += 1
    while j > i and not f[j - 1].isalpha():
        j -= 1
    return "".join(c for c in f[i:j] if c.isalnum())


def main():
    source = json.load(open(sys.argv[1], encoding="utf-8"))[:TOP]
    keys, seen = [], set()
    for pw in FRENCH + source:
        k = key(pw)
        if len(k) >= 3 and k not in seen:
            seen.add(k)
            keys.append(k)
    header = [
        "# Common and breached passwords, normalised (see generate_common_passwords.py).",
        f"# Source: @zxcvbn-ts/language-common 4.1.3 passwords.json, first {TOP} entries",
        "# (MIT; Xato 10-million leaked-password corpus), plus common French passwords.",
        f"# {len(keys)} entries.",
    ]
    with open("common_passwords.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(header + keys) + "\n")
    with open("../../../site/assets/mots-de-passe-courants.json", "w", encoding="utf-8") as f:
        json.dump(keys, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(len(keys), "entries")


main()
