"""Service categories of the territory (DESIGN §6), their FINESS codes where FINESS has
them, and the words people type to find them (folded, for the full-text index)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    finess_codes: tuple[str, ...] = ()
    keywords: str = ""  # extra words people search with


CATEGORIES = (
    Category("cmp", "Centre médico-psychologique (CMP)", ("156",),
             "psychiatrie adulte consultation secteur medico psychologique"),
    Category("cattp", "CATTP", ("425",), "accueil therapeutique temps partiel psychiatrie"),
    Category("cmpp", "CMPP", ("189",), "enfant adolescent medico psycho pedagogique"),
    Category("csapa", "CSAPA", ("197",),
             "addictologie addiction alcool drogue cannabis opiaces substitution soins"),
    Category("caarud", "CAARUD", ("178",), "reduction des risques usagers drogues"),
    Category("cjc", "Consultation jeunes consommateurs (CJC)", (),
             "jeunes cannabis addiction"),
    Category("elsa", "Équipe de liaison en addictologie (ELSA)", (),
             "addictologie hopital liaison"),
    Category("psy_day_hospital", "Hôpital de jour psychiatrique", (),
             "psychiatrie hopital de jour"),
    Category("empp", "Équipe mobile psychiatrie précarité (EMPP)", (),
             "mobile precarite psychiatrie rue"),
    Category("emmsp", "Équipe mobile médico-sociale précarité", ("608",), "mobile precarite"),
    Category("psychiatric_hospital", "Établissement psychiatrique", ("292", "161"),
             "psychiatrie hospitalisation"),
    Category("general_hospital", "Centre hospitalier", ("355", "101", "106"),
             "hopital urgences"),
    Category("rehabilitation", "Soins médicaux et de réadaptation", ("109",),
             "ssr smr readaptation"),
    Category("siao", "SIAO (115)", (), "hebergement urgence 115 logement orientation"),
    Category("chrs", "CHRS", ("214",), "hebergement urgence reinsertion sociale"),
    Category("pension_famille", "Pension de famille / résidence accueil", ("258",),
             "logement maison relais"),
    Category("lhss", "Lits halte soins santé (LHSS)", ("180",), "soins sans abri"),
    Category("lam", "Lits d'accueil médicalisés (LAM)", ("213",), "soins sans abri"),
    Category("act", "Appartement de coordination thérapeutique (ACT)", ("165",),
             "logement soins"),
    Category("gem", "Groupe d'entraide mutuelle (GEM)", ("705",), "pair entraide"),
    Category("samsah_savs", "SAMSAH / SAVS", ("445", "446"), "accompagnement handicap"),
    Category("cpts", "CPTS", ("604",), "soins primaires coordination"),
    Category("msp", "Maison de santé pluriprofessionnelle", ("603",), "medecin generaliste"),
    Category("microstructure", "Microstructure médicale addictions", (),
             "medecin generaliste psychologue addiction"),
    Category("recovery_college", "Recovery college", (), "retablissement formation pair"),
    Category("psychotrauma_centre", "Centre régional du psychotraumatisme", (),
             "trauma violences"),
    Category("expert_centre", "Centre expert", (), "bipolaire schizophrenie depression"),
    Category("dac", "Dispositif d'appui à la coordination (DAC)", ("606",),
             "coordination parcours complexe"),
    Category("mda", "Maison des adolescents", ("701",), "adolescent jeunes"),
)
BY_CODE = {c.code: c for c in CATEGORIES}
BY_FINESS = {finess: c for c in CATEGORIES for finess in c.finess_codes}

# How a service receives people (DESIGN §6 "modality").
MODALITIES = {
    "ambulatory": "Consultations (ambulatoire)",
    "residential": "Hébergement ou hospitalisation complète",
    "day_care": "Accueil de jour",
    "outreach": "Équipe mobile, aller-vers",
    "remote": "À distance (téléphone, visio)",
}
CARE_LEVELS = {1: "Niveau 1 — proximité", 2: "Niveau 2 — spécialisé",
               3: "Niveau 3 — recours, expertise"}
