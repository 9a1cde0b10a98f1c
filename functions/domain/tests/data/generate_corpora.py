#!/usr/bin/env python3
"""Generates the NIR and free-text test corpora ONCE (deterministic seed).

Run from this folder:  python3 generate_corpora.py
Outputs nir_positive.txt, nir_negative.txt, freetext_positive.txt,
freetext_negative.txt — one case per line. All data is fictitious: NIRs are
random numbers with a computed key, people and places are invented.
The Rust test tests/corpora.rs checks every line.
"""
import random

rng = random.Random(20260514)

# ----------------------------------------------------------------- NIR helpers
def nir_key(body: str) -> int:
    b = body.upper()
    sub = 0
    if b[5:7] == "2A":
        b, sub = b[:5] + "20" + b[7:], 1_000_000
    elif b[5:7] == "2B":
        b, sub = b[:5] + "20" + b[7:], 2_000_000
    return 97 - (int(b) - sub) % 97

def random_body():
    sex = rng.choice("123478")
    yy = f"{rng.randrange(100):02d}"
    mm = f"{rng.choice(list(range(1, 13)) * 5 + list(range(20, 43)) + list(range(50, 100))):02d}"
    r = rng.random()
    if r < 0.1:
        dept, commune = rng.choice(["2A", "2B"]), f"{rng.randrange(1, 1000):03d}"
    elif r < 0.2:
        dept, commune = "97", f"{rng.choice('123456')}{rng.randrange(1, 100):02d}"
    elif r < 0.27:
        dept, commune = "99", f"{rng.randrange(1, 1000):03d}"
    else:
        dept, commune = f"{rng.randrange(1, 96):02d}", f"{rng.randrange(1, 1000):03d}"
    order = f"{rng.randrange(1, 1000):03d}"
    return sex + yy + mm + dept + commune + order

def layout(body, key, style):
    k = f"{key:02d}"
    g = [body[0], body[1:3], body[3:5], body[5:7], body[7:10], body[10:13], k]
    if style == 0:
        return body + k
    if style == 1:
        return " ".join(g)
    if style == 2:
        return ".".join(g)
    if style == 3:
        return "-".join(g)
    if style == 4:
        return body + " " + k
    if style == 5:  # overseas grouping 1-2-2-3-2-3-2
        return " ".join([body[0], body[1:3], body[3:5], body[5:8], body[8:10], body[10:13], k])
    if style == 6:
        return "\u00a0".join(g)  # no-break spaces
    if style == 7:
        return body.lower() + k
    return " ".join([body[:7], body[7:13], k])  # 1850578 006084 91 (after 7 and 13)

NIR_CONTEXTS = [
    "{n}",
    "NIR : {n}",
    "Numéro de sécurité sociale {n} à vérifier.",
    "L'assuré (n° {n}) n'a pas reçu sa carte Vitale.",
    "Merci de mettre à jour le dossier {n} avant vendredi.",
    "Madame Exemple, NIR {n}, demande une attestation de droits.",
    "Le numéro {n} figure sur l'attestation.",
    "Voici son numéro : {n}",
    "{n} - demande de Complémentaire santé solidaire",
    "Référence assuré {n}; adresse inconnue.",
    "Pouvez-vous vérifier les droits de M. Fictif ({n}) ?",
    "N° SS: {n}",
    "immatriculation provisoire {n} en cours",
    "Le bénéficiaire {n} est accompagné par le CCAS.",
    "« {n} » est le numéro indiqué par l'assurée.",
]

def nir_positive():
    out, styles = [], 9
    for i in range(240):
        body = random_body()
        key = nir_key(body)
        style = i % styles
        if style == 5 and body[5:7] != "97":
            style = 1
        n = layout(body, key, style)
        out.append(NIR_CONTEXTS[i % len(NIR_CONTEXTS)].format(n=n))
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
    num = int(bban + "152700")  # F=15 R=27, 00
    check = 98 - num % 97
    iban = f"FR{check:02d}{bban}"
    return iban

def nir_negative():
    out = []
    for _ in range(30):  # phone numbers
        d = "0" + str(rng.randrange(1, 8)) + "".join(str(rng.randrange(10)) for _ in range(8))
        style = rng.randrange(3)
        p = d if style == 0 else (" ".join(d[i:i + 2] for i in range(0, 10, 2)) if style == 1 else ".".join(d[i:i + 2] for i in range(0, 10, 2)))
        out.append(rng.choice(["Tél. {p}", "Rappeler au {p} après 14 h.", "Standard : {p}", "Portable {p} / fixe 0{q}"]).format(p=p, q=rng.randrange(100000000, 999999999)))
    for _ in range(10):
        out.append(f"+33 {rng.randrange(1, 8)} {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}")
    for _ in range(25):  # dates
        d, m, y = rng.randrange(1, 29), rng.randrange(1, 13), rng.randrange(1920, 2030)
        out.append(rng.choice(["Né le {d:02d}/{m:02d}/{y}", "Rendez-vous le {d:02d}.{m:02d}.{y} à 14h30", "Date de naissance : {y}-{m:02d}-{d:02d}", "Du {d:02d}/{m:02d}/{y} au {d:02d}/{m:02d}/{z}"]).format(d=d, m=m, y=y, z=y + 1))
    for _ in range(30):  # IBANs
        ib = iban_fr()
        spaced = " ".join(ib[i:i + 4] for i in range(0, len(ib), 4))
        out.append(rng.choice(["IBAN : {s}", "RIB {c}", "Virement sur le compte {s} effectué.", "{c}"]).format(s=spaced, c=ib))
    for _ in range(30):  # SIRET / SIREN
        s = siret()
        out.append(rng.choice(["SIRET {s}", "SIRET : {a} {b} {c} {d}", "SIREN {n}", "Structure immatriculée {s}"]).format(s=s, a=s[:3], b=s[3:6], c=s[6:9], d=s[9:], n=s[:9]))
    for _ in range(20):  # postcodes and addresses
        cp = f"{rng.randrange(1000, 95999):05d}"
        out.append(f"{rng.randrange(1, 200)} rue des Exemples, {cp} Villefictive")
    for _ in range(40):  # 15-character NIR-like strings with a wrong key
        body = random_body()
        key = nir_key(body)
        wrong = (key + rng.randrange(1, 96)) % 97 + 1
        if wrong == key:
            wrong = key % 97 + 1
        out.append(rng.choice(["NIR erroné {n}", "{n}", "Numéro {n} (clé fausse)"]).format(n=layout(body, wrong, rng.randrange(5))))
    for _ in range(15):  # 15/16/20-digit references
        n = "".join(str(rng.randrange(10)) for _ in range(rng.choice([11, 12, 16, 18, 20])))
        out.append(f"Référence de dossier {n}")
    for _ in range(15):  # amounts
        out.append(rng.choice(["Montant : {a} €", "Reste à charge de {a} euros", "Solde {b} EUR", "Facture de {a},50 €"]).format(a=f"{rng.randrange(1, 999_999):,}".replace(",", " "), b=f"{rng.randrange(1, 99999)}.{rng.randrange(100):02d}"))
    out += [
        "Dossier 2024-000123-45 transmis le 03/02/2025",
        "Appeler le 39 46 ou le 36 46",
        "Numéro fiscal 1234567890123",
        "Carte n° 1234 5678 9012 3456",
        "Téléphone : 01 23 45 67 89 ou 06 12 34 56 78",
        "Code postal 69130, département 69",
        "Horaires : 8h30-12h00 / 13h30-16h30",
        "Version 1.85.05.78 du logiciel",
        "Courrier du 12 septembre 2024, référence 2024-25-T1",
        "Numéro d'allocataire CAF 1234567",
        "Référence 5 85 05 78 006 084 12 (sexe invalide)",
        "Référence 1 85 13 78 006 084 12 (mois invalide)",
        "Référence 1 85 05 00 006 084 12 (département invalide)",
        "Quittance n° 000000000000000",
        "Code 999999999999999",
    ]
    return out

# ----------------------------------------------------------------- free text
FT_POS_HANDWRITTEN = [
    "Madame est diabétique et doit voir un spécialiste.",
    "Monsieur souffre d'une dépression sévère depuis son licenciement.",
    "L'assurée est enceinte de six mois.",
    "Il a été hospitalisé la semaine dernière à l'hôpital de la ville.",
    "Son fils est autiste et nécessite un accompagnement.",
    "Personne handicapée en fauteuil roulant, prévoir un accueil adapté.",
    "Elle suit une chimiothérapie pour un cancer du sein.",
    "Monsieur est alcoolique et ne répond pas aux courriers.",
    "Ancien toxicomane sous méthadone.",
    "Elle a fait une fausse couche en janvier.",
    "Il est séropositif, merci d'être discrets.",
    "Atteint de la maladie d'Alzheimer, il oublie ses rendez-vous.",
    "Suivi par un psychiatre depuis deux ans.",
    "Madame a une sclérose en plaques.",
    "En arrêt maladie depuis trois mois.",
    "Sa fille est trisomique et reconnue par la MDPH.",
    "Il perçoit l'AAH depuis 2019.",
    "Dossier MDPH en cours pour son handicap.",
    "Elle est sous antidépresseurs.",
    "Le patient est dialysé trois fois par semaine.",
    "Il a fait un AVC l'an dernier.",
    "Grossesse à risque, accouchement prévu en mars.",
    "Elle a eu une IVG récemment.",
    "Monsieur est épileptique.",
    "Elle est suivie en cardiologie pour une insuffisance cardiaque.",
    "Il souffre d'asthme chronique.",
    "Madame est aveugle et a besoin d'aide pour lire ses courriers.",
    "Il est sourd, privilégier les échanges écrits.",
    "Tentative de suicide en décembre.",
    "Schizophrène stabilisé sous traitement médical.",
    "Il a la tuberculose.",
    "Consultation chez le gynécologue à prévoir.",
    "Sortie de clinique prévue lundi.",
    "Elle souffre d'anorexie.",
    "Monsieur est en fin de vie, soins palliatifs à domicile.",
    "Il a été amputé d'une jambe.",
    "Madame prend de l'insuline chaque jour.",
    "Il est atteint d'un lymphome.",
    "Elle a une hépatite C.",
    "Il consomme du cannabis quotidiennement.",
    "Problème d'addiction aux jeux et à l'alcool.",
    "Bipolaire, il a besoin d'un suivi régulier.",
    "Son psychologue recommande un accompagnement renforcé.",
    "Rééducation chez le kiné deux fois par semaine.",
    "Il a une pension d'invalidité.",
    "Reconnu en affection de longue durée (ALD).",
    "Elle est en congé maternité.",
    "Suivi d'une PMA en cours.",
    "Monsieur souffre de troubles psychiatriques.",
    "Elle a des crises d'épilepsie fréquentes.",
    "Il est en convalescence après une opération chirurgicale.",
    "Elle est malvoyante.",
    "L'enfant est hyperactif et suivi pour un TDAH.",
    "Monsieur est un fainéant qui ne fait aucune démarche.",
    "Assuré menteur, ne pas croire ses déclarations.",
    "C'est un profiteur du système.",
    "Madame est hystérique au téléphone.",
    "Personne agressive à l'accueil.",
    "Ce monsieur est un escroc.",
    "Famille de parasites.",
    "Il est complètement idiot.",
    "Elle est de mauvaise foi.",
    "Individu violent et ingérable.",
    "Un vrai fraudeur, à surveiller.",
    "Monsieur est insupportable.",
    "Elle est odieuse avec les agents.",
    "Personne malhonnête.",
    "C'est un ivrogne notoire.",
    "Ce type est un abruti.",
    "Monsieur est totalement irresponsable.",
    "Il est fou, selon les voisins.",
    "Caractériel, il crie à chaque rendez-vous.",
    "Elle est manipulatrice.",
    "Un sale type.",
    "Famille crasseuse.",
    "DIABÈTE de type 2.",
    "HOSPITALISATION en psychiatrie.",
    "diabete non equilibre",
    "hopitaux saturés, il attend une greffe d'organe",
    "Les personnes handicapées du foyer",
    "Deux grossesses rapprochées.",
    "Elle a des migraines et des allergies.",
    "Il est atteint de mucoviscidose.",
    "Il présente des symptômes inquiétants.",
    "Sa pathologie l'empêche de se déplacer.",
    "Malade depuis l'hiver.",
    "Elle suit une radiothérapie.",
    "Il souffre de démence.",
    "Elle est sous morphine.",
    "Consultation en oncologie prévue.",
    "Rendez-vous chez le psychiatre le 12.",
    "Traitement par neuroleptiques.",
    "Monsieur est paraplégique depuis son accident.",
    "Madame est en situation de perte d'autonomie.",
    "Il a une fracture du bras.",
    "Suivi par une sage-femme à domicile.",
    "Il est sous Subutex.",
    "Cocaïne retrouvée lors de l'interpellation.",
    "Elle fait un burn-out.",
    "Elle est suivie par un pédopsychiatre.",
    "Il a besoin d'une prothèse auditive.",
    "Atteinte d'ostéoporose, elle se déplace difficilement.",
    "Il a des antécédents de cirrhose.",
    "Madame a eu un infarctus en 2023.",
    "Il a été opéré en chirurgie cardiaque.",
    "Suivi en addictologie au centre de la ville.",
    "Elle a la covid et reste à la maison.",
    "Le petit souffre d'allergies alimentaires.",
    "Madame est en dépression post-partum.",
    "Monsieur est polyarthrite et touche l'AAH.",
    "Elle a un cancer et ne peut pas se déplacer.",
    "Elle est tétraplégique.",
    "Il suit un sevrage tabagique.",
    "L'enfant est dyslexique et suivi par une orthophoniste.",
    "Troubles psychiques importants.",
    "La mère est alcoolo-dépendante.",
    "Interruption volontaire de grossesse en avril.",
    "Il doit rencontrer un endocrinologue pour son obésité.",
    "Madame est sénile.",
    "Il est malentendant.",
    "Ce monsieur est une ordure.",
    "Quelle connasse au téléphone.",
    "Le fils est un bon à rien.",
    "Il a une leucémie.",
]

TERMS_FOR_TEMPLATES = [
    "diabète", "cancers", "tumeur", "leucémie", "hypertension", "asthme", "Parkinson", "épilepsie",
    "VIH", "sida", "hépatite", "obésité", "boulimie", "schizophrénie", "psychose", "autisme",
    "handicap", "invalidité", "cécité", "surdité", "grossesse", "accouchement", "maternité",
    "avortement", "alcoolisme", "toxicomanie", "drogues", "sevrage", "tabagisme", "dialyse",
    "chimiothérapie", "hospitalisation", "hôpitaux", "psychiatrie", "cardiologue", "neurologue",
    "pédiatre", "dermatologue", "ophtalmologue", "rhumatologue", "urologue", "orthophoniste",
    "ergothérapeute", "médicaments", "antibiotiques", "prothèse", "rééducation", "infarctus",
    "cirrhose", "arthrose", "fibromyalgie", "incontinence", "coma", "dyslexie", "anxiété",
    "transplantation", "contraception", "maladie mentale", "déficience", "paralysie",
]
FT_POS_TEMPLATES = [
    "Merci de tenir compte de son {t} dans le traitement du dossier.",
    "La personne évoque un problème de {t}.",
    "Contexte : {t}.",
    "Situation compliquée ({t}).",
    "Le CCAS signale un {t} connu.",
]
JUDGEMENTS = ["fainéante", "paresseux", "menteuse", "voleur", "profiteuse", "imbécile", "crétin", "débile",
              "stupide", "minable", "cinglée", "tarée", "bête", "grossier", "négligente", "sournois", "chiant", "emmerdeur"]

def freetext_positive():
    out = list(FT_POS_HANDWRITTEN)
    for i, t in enumerate(TERMS_FOR_TEMPLATES):
        out.append(FT_POS_TEMPLATES[i % len(FT_POS_TEMPLATES)].format(t=t))
    for i, j in enumerate(JUDGEMENTS):
        out.append(["Cette personne est {j}.", "Assuré(e) {j}, difficile à joindre.", "Franchement {j}."][i % 3].format(j=j))
    # accents / case variants of a few terms
    out += ["DEPRESSION", "Dépression", "depressions", "hopital", "HÔPITAL", "Enceintes", "handicapees",
            "Séropositivité", "CANCER", "alcooliques", "Psychiatres", "kinés", "chirurgiens", "Toxicomanes",
            "Sclérose En Plaques", "accident vasculaire cérébral", "insuffisance rénale"]
    # issue 10: compound medical adjectives, with and without hyphen or space,
    # feminine in brackets or after a slash
    out += COMPOUNDS
    return out

COMPOUNDS = [
    "Monsieur est insulino-dépendant.",
    "Madame est insulinodépendante.",
    "Assuré insulino dépendant, prévoir un rendez-vous le matin.",
    "L'assuré(e) est insulino-dépendant(e).",
    "INSULINODEPENDANT",
    "Personne insulino-requérante.",
    "Elle est dialysée trois fois par semaine.",
    "Assuré(e) dialysé(e).",
    "Il est hémodialysé.",
    "Elle est sous chimiothérapie depuis mars.",
    "Monsieur est sous chimio.",
    "Il est sous-chimiothérapie.",
    "Assuré séropositif/ve.",
    "Il est séro-positif.",
    "Elle est séro positive.",
    "Il est séropo.",
    "Ancien toxico, il est suivi par une association.",
    "Le fils est toxico-dépendant.",
    "Personne toxicodépendante.",
    "Toxico-manie signalée par le foyer.",
    "Elle a des troubles psycho-affectifs.",
    "Suivi psycho-social par l'hôpital de jour.",
    "Un bilan psychomoteur est prévu.",
    "L'enfant voit une psycho-motricienne.",
    "Elle est alcoolodépendante.",
    "Il est alcoolo dépendant.",
    "Il est polyhandicapé.",
    "Enfant poly-handicapé.",
    "Elle est immuno-déprimée.",
    "Il est immunodéprimé.",
    "Madame est oxygéno-dépendante.",
    "Il est sous oxygène à domicile.",
    "Il est cardio-vasculaire à risque.",
    "Antécédents cardio-vasculaires.",
    "Madame est hypertendue.",
    "Il est sous anti-dépresseurs.",
    "Elle prend des anti-psychotiques.",
    "Personne dépendante à l'alcool.",
    "Il est sous traitement anti-rétroviral.",
    "Madame est non-voyante.",
    "Il est mal-entendant.",
    "Elle est mal voyante.",
    "Monsieur est trisomique 21.",
    "Il est hospitalisé en psycho-gériatrie.",
    "Elle souffre de psycho-traumatisme.",
]


FT_NEG_HANDWRITTEN = [
    "Demande de Complémentaire santé solidaire pour Madame Exemple.",
    "Difficultés d'accès aux soins et aux droits signalées par le CCAS.",
    "Merci de vérifier l'affiliation à l'assurance maladie.",
    "La Caisse primaire d'assurance maladie a bien reçu le formulaire.",
    "Carte Vitale perdue, demande de formulaire carte Vitale.",
    "Le dossier a été transmis à la CPAM du département.",
    "Ouverture de droits à la protection universelle maladie.",
    "Demande d'attestation de droits pour l'assuré.",
    "Certificat provisoire CEAM nécessaire avant un départ à l'étranger.",
    "Il faut déclarer un médecin traitant.",
    "Personne en situation de fracture numérique, sans ordinateur.",
    "Le traitement du dossier prend du retard.",
    "Merci de procéder à l'examen de la demande.",
    "Le numéro de téléphone indiqué est invalide.",
    "Ordonnance du juge des tutelles jointe au dossier.",
    "Le greffe du tribunal a transmis le jugement.",
    "Demande à traiter en urgence, l'assuré part vendredi.",
    "Prise en charge des frais de transport par la caisse ?",
    "L'opération de mise à jour de l'adresse est terminée.",
    "Diagnostic social réalisé par l'assistante sociale.",
    "Rattachement au régime général à confirmer.",
    "Aide médicale d'État : dossier complet.",
    "Rendez-vous souhaité à l'accueil de la caisse mardi matin.",
    "L'assuré a changé d'adresse en mars.",
    "Courrier retourné avec la mention « n'habite pas à l'adresse indiquée ».",
    "Madame ne maîtrise pas le français, prévoir un interprète.",
    "Monsieur est hébergé chez un tiers.",
    "Personne sans domicile fixe, domiciliée au CCAS.",
    "Le mandataire judiciaire demande une copie de l'attestation.",
    "Enfant confié à l'ASE depuis septembre.",
    "Merci de rappeler la référente du CCAS.",
    "Documents envoyés par courrier à l'adresse connue.",
    "Offres de prévention à transmettre à l'assuré.",
    "Examen de prévention santé proposé par la caisse.",
    "La complémentaire santé a été résiliée en janvier.",
    "Parcours de soins coordonnés à expliquer à l'assuré.",
    "Renouvellement de la Complémentaire santé solidaire à prévoir.",
    "Dossier PUMa déposé le mois dernier.",
    "Le conjoint est ayant droit.",
    "Les ressources du foyer ont baissé depuis la séparation.",
    "Perte d'emploi en début d'année.",
    "Demande de relevé de situation.",
    "Merci de confirmer la bonne réception des pièces.",
    "Les pièces justificatives sont jointes.",
    "L'assurée ne reçoit plus ses courriers.",
    "Changement de situation familiale : mariage.",
    "Naissance d'un enfant à déclarer.",
    "Demande de duplicata de carte Vitale.",
    "Le compte ameli n'est pas encore créé.",
    "Accompagnement à la création du compte en ligne.",
    "Situation de précarité financière importante.",
    "Logement insalubre signalé aux services de la ville.",
    "Retraite prise en juillet, mutation de dossier à prévoir.",
    "Le titre de séjour a été renouvelé.",
    "Le titre de séjour expire le mois prochain.",
    "L'assuré souhaite être rappelé le matin.",
    "Pas de réponse aux appels depuis deux semaines.",
    "Merci de nous indiquer les pièces manquantes.",
    "Le formulaire a été signé par le tuteur.",
    "Mesure de curatelle renforcée en cours.",
    "La mesure de tutelle a été prononcée en mai.",
    "Organisme dépositaire : envoyer le document par le portail.",
    "Tous les justificatifs sont fournis.",
    "Nous restons à votre disposition pour tout complément.",
    "Bonne journée, cordialement.",
    "Merci pour votre retour rapide.",
    "La demande précédente a été clôturée par erreur.",
    "Relance : aucune réponse depuis le 3 avril.",
    "Le CCAS accompagne cette famille depuis deux ans.",
    "Les travaux du logement sont terminés.",
    "La famille a quitté le département.",
    "Un rendez-vous a été fixé avec la conseillère.",
    "L'assurée est étudiante à Lyon.",
    "Il travaille en intérim depuis janvier.",
    "Elle vient d'obtenir un contrat à durée indéterminée.",
    "Le dossier de retraite est en cours d'instruction.",
    "Demande de rattachement des enfants.",
    "Les enfants sont à la charge de la mère.",
    "Le changement de caisse est effectif.",
    "Numéro de dossier interne : 2024-118.",
    "Il a tous ses droits ouverts.",
    "Les droits sont fermés depuis le 31 décembre.",
    "Contact souhaité par courriel.",
    "Elle est sans ressources depuis la fin de son contrat.",
    "Le bailleur a engagé une procédure d'expulsion.",
    "Aide au remplissage du formulaire.",
    "Demande de remboursement bloquée faute de RIB.",
    "RIB transmis le 12 mars.",
    "Le paiement a été effectué.",
    "Le centre de santé du quartier peut l'accueillir.",
    "Demande d'information sur la Complémentaire santé solidaire participative.",
    "Accès aux droits : demande d'ouverture de compte.",
    "Merci de mettre à jour les coordonnées bancaires.",
    "Signalement d'une situation de difficultés d'accès aux droits et aux soins.",
    "Demander un rendez-vous pour un assuré.",
    "Consulter l'historique des demandes.",
    "Contacter votre organisme d'assurance Maladie.",
    "Soumettre une demande d'étude de dossier.",
    "Il s'agit d'une demande urgente.",
    "Les conditions de ressources sont remplies.",
    "Monsieur dément avoir reçu le courrier de relance.",
    "Dette de taxe d'enlèvement des ordures ménagères.",
    "Le tribunal a désigné un mandataire ; copie du jugement au greffe.",
    "Le numéro saisi est invalide, merci de le corriger.",
]
SUBJECTS = ["L'assuré", "L'assurée", "Monsieur", "Madame", "La famille", "Le demandeur", "La personne accompagnée", "Le bénéficiaire"]
ACTIONS = ["a transmis", "n'a pas reçu", "attend", "demande", "a perdu", "doit renvoyer", "souhaite obtenir", "a signé"]
OBJECTS = ["son attestation de droits", "le formulaire de demande", "sa carte Vitale", "le justificatif de domicile",
           "l'avis d'imposition", "le relevé d'identité bancaire", "la notification de droits", "le certificat provisoire",
           "le courrier de la caisse", "la décision de la commission", "son titre de séjour", "le livret de famille"]
WHEN = ["le 12 mars", "la semaine dernière", "hier", "depuis janvier", "avant la fin du mois", "en début d'année"]

def freetext_negative():
    out = list(FT_NEG_HANDWRITTEN)
    seen = set(out)
    while len(out) < 240:
        s = f"{rng.choice(SUBJECTS)} {rng.choice(ACTIONS)} {rng.choice(OBJECTS)} {rng.choice(WHEN)}."
        if s not in seen:
            seen.add(s)
            out.append(s)
    # issue 10: compounds and hyphenated administrative words stay accepted
    out += [
        "Demande de Complémentaire-santé-solidaire déposée.",
        "Difficultés d'accès-aux-soins signalées.",
        "Il n'a pas de médecin-traitant déclaré.",
        "La carte-Vitale a été renouvelée.",
        "Accompagnement socio-professionnel en cours.",
        "Situation de mal-logement signalée au bailleur.",
        "Le non-recours aux droits est fréquent dans le quartier.",
        "Contrôle anti-fraude effectué par la caisse.",
        "Elle est sous tutelle depuis mai.",
        "Il est sous curatelle renforcée.",
        "Demande de prise en charge sous quinzaine.",
        "Le dossier est sous-traité par un prestataire.",
        "Rendez-vous en visio-conférence mardi.",
        "Envoi du courrier en recommandé avec accusé de réception.",
        "Accès aux droits et aux soins : demande de Complémentaire santé solidaire.",
        "Demande d'attestation de droits, carte Vitale et médecin traitant à jour.",
        "Le demandeur est auto-entrepreneur.",
        "Famille mono-parentale, trois enfants.",
        "Le couple est pacsé depuis 2020.",
        "Elle est demandeuse d'emploi de longue durée.",
    ]
    return out

def write(name, lines):
    for l in lines:
        assert "\n" not in l and l.strip(), l
    with open(name, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(name, len(lines))

write("nir_positive.txt", nir_positive())
write("nir_negative.txt", nir_negative())
write("freetext_positive.txt", freetext_positive())
write("freetext_negative.txt", freetext_negative())
