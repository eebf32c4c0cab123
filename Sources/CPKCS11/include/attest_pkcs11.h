// Attest's PKCS#11 shim: the few calls Attest needs (open a token session, make or find an
// Ed25519 key pair that never leaves the token, sign), over any PKCS#11 module loaded at run time
// (dlopen), e.g. SoftHSM2 or a hardware HSM's module.
//
// Hand-written: the PKCS#11 types and constants used in attest_pkcs11.c are declared there from the
// OASIS PKCS#11 specification (v2.40 / v3.0), so building Attest needs no PKCS#11 headers or
// libraries installed; only running with an HSM needs the vendor's module.
#ifndef ATTEST_PKCS11_H
#define ATTEST_PKCS11_H

#include <stddef.h>
#include <stdint.h>

typedef struct attest_p11_ctx attest_p11_ctx;

/// Loads `module`, initializes it, finds the token labelled `token_label`, opens a read-write
/// session and logs in as the user with `pin`. Returns NULL and writes a message to `err`.
attest_p11_ctx *attest_p11_open(const char *module, const char *token_label, const char *pin, char *err, size_t errlen);

/// Generates an Ed25519 key pair (CKM_EC_EDWARDS_KEY_PAIR_GEN) labelled `key_label` inside the
/// token: the private key is a token object, sensitive and not extractable. Writes the 32-byte
/// public key. Returns 0 on success.
int attest_p11_generate_ed25519(attest_p11_ctx *ctx, const char *key_label, uint8_t public_key[32], char *err, size_t errlen);

/// Finds the Ed25519 private key labelled `key_label` and its public key. Returns 0 on success,
/// 1 when there is no such key, -1 on error.
int attest_p11_find_ed25519(attest_p11_ctx *ctx, const char *key_label, uint8_t public_key[32], char *err, size_t errlen);

/// Signs `data` with the key found or generated last (CKM_EDDSA, pure Ed25519): 64 bytes.
int attest_p11_sign(attest_p11_ctx *ctx, const uint8_t *data, size_t len, uint8_t signature[64], char *err, size_t errlen);

/// Whether the key found or generated last is marked extractable (it must not be).
int attest_p11_private_key_extractable(attest_p11_ctx *ctx);

/// Closes the session; the module is finalized when its last context closes.
void attest_p11_close(attest_p11_ctx *ctx);

#endif
