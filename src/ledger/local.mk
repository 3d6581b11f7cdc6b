# The ledger: SQLite, shared by orad (writes) and oractl (reports).
libora_common_a_SOURCES += src/ledger/ledger.c src/ledger/ledger.h
