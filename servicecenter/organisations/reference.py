"""Reference data: Region Midtjylland, its five hospital clusters and 19 municipalities (kommunekode)."""

from __future__ import annotations

REGION = ("1082", "Region Midtjylland")

# cluster code, name, hospital
CLUSTERS = [
    ("RANDERS", "Klynge Randers", "Regionshospitalet Randers"),
    ("AARHUS", "Klynge Aarhus", "Aarhus Universitetshospital"),
    ("HORSENS", "Klynge Horsens", "Regionshospitalet Horsens"),
    ("VEST", "Klynge Hospitalsenhed Vest", "Gødstrup Hospital"),
    ("VIBORG_SILKEBORG", "Klynge Viborg/Silkeborg", "Regionshospital Centraljylland"),
]

# municipality code, name, cluster code, town hall latitude, longitude, main postal code, town
MUNICIPALITIES = [
    ("730", "Randers Kommune", "RANDERS", 56.4607, 10.0364, "8900", "Randers C"),
    ("707", "Norddjurs Kommune", "RANDERS", 56.4158, 10.8783, "8500", "Grenaa"),
    ("706", "Syddjurs Kommune", "RANDERS", 56.1944, 10.6821, "8400", "Ebeltoft"),
    ("710", "Favrskov Kommune", "RANDERS", 56.2667, 10.0667, "8382", "Hinnerup"),
    ("751", "Aarhus Kommune", "AARHUS", 56.1567, 10.2108, "8000", "Aarhus C"),
    ("741", "Samsø Kommune", "AARHUS", 55.8440, 10.6050, "8305", "Samsø"),
    ("615", "Horsens Kommune", "HORSENS", 55.8607, 9.8503, "8700", "Horsens"),
    ("766", "Hedensted Kommune", "HORSENS", 55.7700, 9.7010, "8722", "Hedensted"),
    ("746", "Skanderborg Kommune", "HORSENS", 56.0340, 9.9300, "8660", "Skanderborg"),
    ("727", "Odder Kommune", "HORSENS", 55.9730, 10.1530, "8300", "Odder"),
    ("657", "Herning Kommune", "VEST", 56.1393, 8.9738, "7400", "Herning"),
    ("661", "Holstebro Kommune", "VEST", 56.3601, 8.6161, "7500", "Holstebro"),
    ("756", "Ikast-Brande Kommune", "VEST", 56.1388, 9.1577, "7430", "Ikast"),
    ("665", "Lemvig Kommune", "VEST", 56.5486, 8.3102, "7620", "Lemvig"),
    ("760", "Ringkøbing-Skjern Kommune", "VEST", 56.0900, 8.2440, "6950", "Ringkøbing"),
    ("671", "Struer Kommune", "VEST", 56.4919, 8.5939, "7600", "Struer"),
    ("791", "Viborg Kommune", "VIBORG_SILKEBORG", 56.4532, 9.4020, "8800", "Viborg"),
    ("740", "Silkeborg Kommune", "VIBORG_SILKEBORG", 56.1697, 9.5451, "8600", "Silkeborg"),
    ("779", "Skive Kommune", "VIBORG_SILKEBORG", 56.5667, 9.0333, "7800", "Skive"),
]
