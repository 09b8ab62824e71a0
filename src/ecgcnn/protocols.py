"""The evaluation protocols and their record sets (constants only).

Apart from splits.py, the params schema checks record names against them: without importing
scikit-learn, and without making every stage depend on splits.py.
"""

# inter_patient_svdb: inter_patient with the training records of the MIT-BIH Supraventricular
# Arrhythmia Database added to the training side (params protocols.inter_patient_svdb).
PROTOCOLS = ("inter_patient", "intra_patient", "inter_patient_svdb")

# de Chazal et al. 2004. The paced records 102, 104, 107 and 217 belong to neither set.
DS1 = ("101 106 108 109 112 114 115 116 118 119 122 124 201 203 205 207 208 209 215 220 "
       "223 230").split()
DS2 = ("100 103 105 111 113 117 121 123 200 202 210 212 213 214 219 221 222 228 231 232 "
       "233 234").split()
PACED = ("102", "104", "107", "217")

# EC57's noise stress test: nstdb's noisy records are these two DS1 patients with noise added.
NOISE_STRESS_PATIENTS = ("118", "119")
