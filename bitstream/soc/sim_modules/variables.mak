SRC_DIR = /work/main/.cache/soc-venv/lib/python3.11/site-packages/litex/build/sim/core
INC_DIR = -I/work/main/bitstream/rtl 
TAPCFG_DIRECTORY = /work/main/.cache/soc-venv/lib/python3.11/site-packages/pythondata_misc_tapcfg/data

EXTRA_MOD_LIST = eie_uart_tcp
EXTRA_MOD_BASE_DIR = /work/main/bitstream/soc/sim_modules
