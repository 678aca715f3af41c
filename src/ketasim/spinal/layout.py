"""Index layout shared by the spinal engine's kernels: parameter vector, pathways (channels),
synapse types, drug-input columns and recorded traces.

Pathways (lumped synapse groups: all synapses of one pathway see the same presynaptic spike
train, so one state vector times the summed conductance is exact for identical inputs):
channel 0 A-beta, 1 A-delta, 2 C, 3 background excitation, 4 background inhibition,
5 afferent-driven feed-forward inhibition, 6 interneuron -> WDR, 7 interneuron-driven
feed-forward inhibition (delayed).
"""

# channels (presynaptic spike trains)
CH_AB, CH_AD, CH_C, CH_BGE, CH_BGI, CH_FFI, CH_INT, CH_INT_FFI = range(8)
N_CH = 8
# synapse types (columns of the weight matrix)
S_W_AMPA, S_W_NMDA, S_W_NK1, S_W_GABA, S_W_GLY, S_I_AMPA, S_I_NMDA, S_I_NK1 = range(8)
N_SYN = 8
# modulator columns (drug inputs, piecewise constant on a coarse grid)
M_MG, M_KET, M_NK, M_GABA_TAU, M_GABA_G, M_GABA_TONIC, M_GLY_G, M_MU = range(8)
N_MOD = 8
# recorded trace variables
R_V, R_V_DEND, R_I_NMDA, R_I_CAL, R_CA, R_I_CAN, R_I_AMPA, R_I_GABA, R_V_INT = range(9)
N_REC = 9
TRACE_NAMES = ("v", "v_dend", "i_nmda", "i_cal", "ca_i", "i_can", "i_ampa", "i_inh", "v_int")
TRACE_UNITS = ("mV", "mV", "pA", "pA", "umol/L", "pA", "pA", "pA", "mV")

# --- parameter indices (generated from ketasim.spinal.params.FIELDS; checked by a test)
# BEGIN PARAM INDEX
P_TEMPERATURE_C = 0
P_AREA_SOMA_UM2 = 1
P_AREA_DEND_UM2 = 2
P_CM_UF_CM2 = 3
P_G_LEAK_S_CM2 = 4
P_E_LEAK = 5
P_G_COUPLE = 6
P_G_NA = 7
P_G_K = 8
P_E_NA = 9
P_E_K = 10
P_VTRAUB = 11
P_G_NAP = 12
P_P_CAL_SOMA = 13
P_P_CAL_DEND = 14
P_CA_O_MM = 15
P_CA_DEPTH_UM = 16
P_CA_TAU_SOMA_MS = 17
P_CA_TAU_DEND_MS = 18
P_CA_REST_UM = 19
P_CA_DEND_POOL_FRAC = 20
P_NK1_CA_FRAC = 21
P_G_CAN = 22
P_E_CAN = 23
P_CAN_CAC_UM = 24
P_CAN_BETA = 25
P_CAN_TAU_FACTOR = 26
P_G_KCA_SOMA = 27
P_G_KCA_DEND = 28
P_KCA_CAC_UM = 29
P_KCA_BETA = 30
P_INT_C_M_PF = 31
P_INT_G_LEAK = 32
P_INT_G_NA = 33
P_INT_G_K = 34
P_AMPA_TAU_RISE = 35
P_AMPA_TAU_DECAY = 36
P_NK1_INT_TAU_RISE = 37
P_NK1_INT_TAU_DECAY = 38
P_NK1_WDR_TAU_RISE = 39
P_NK1_WDR_TAU_DECAY = 40
P_GABA_TAU_RISE = 41
P_GABA_TAU_DECAY = 42
P_GLY_TAU_RISE = 43
P_GLY_TAU_DECAY = 44
P_E_AMPA = 45
P_E_NK1 = 46
P_E_CL = 47
P_GLU_PULSE_UM = 48
P_GLU_PULSE_MS = 49
P_MG_MM = 50
P_W_AB_AMPA = 51
P_W_AD_AMPA = 52
P_W_AD_NMDA = 53
P_W_C_INT_AMPA = 54
P_W_C_INT_NMDA = 55
P_W_C_INT_NK1 = 56
P_W_C_WDR_NK1 = 57
P_W_INT_WDR_AMPA = 58
P_W_INT_WDR_NMDA = 59
P_W_INT_FFI_GABA = 60
P_W_INT_FFI_GLY = 61
P_W_AFF_FFI_GABA = 62
P_W_AFF_FFI_GLY = 63
P_W_BG_AMPA = 64
P_W_BG_GABA = 65
P_DELAY_INT_MS = 66
P_DELAY_FFI_MS = 67
P_NMDA_SCALE = 68
P_AMPA_SCALE = 69
P_NK1_SCALE = 70
P_INH_SCALE = 71
P_MU_PRESYN_MAX = 72
P_G_GIRK_MAX = 73
P_V_SPIKE = 74
# END PARAM INDEX
