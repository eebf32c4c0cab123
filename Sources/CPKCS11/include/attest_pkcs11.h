// Attest's PKCS#11 shim: the few calls Attest needs (open a token session, make or find an
// Ed25519 or ECDSA P-256 key pair that never leaves the token, sign), over any PKCS#11 module
// loaded at run time (dlopen), e.g. SoftHSM2 or a hardware HSM's module.
//
// Hand-written: the PKCS#11 types and constants used in attest_pkcs11.c are declared there from the
// OASIS PKCS#11 specification (v2.40 / v3.0), so building Attest needs no PKCS#11 headers or
// libraries installed; only running with an HSM needs the vendor's module.
#ifndef ATTEST_PKCS11_H
#define ATTEST_PKCS11_H

#include <stddef.h>
#include <stdint.h>

typedef struct attest_p11_ctx attest_p11_ctx;

/// The algorithm of the selected key (attest_p11_key_algorithm).
#define ATTEST_P11_ED25519 1
#define ATTEST_P11_ECDSA_P256 2

/// Loads `module`, initializes it, finds the token labelled `token_label`, opens a read-write
/// session and logs in as the user with `pin`. Returns NULL and writes a message to `err`.
attest_p11_ctx *attest_p11_open(const char *module, const char *token_label, const char *pin, char *err, size_t errlen);

/// Generates an Ed25519 key pair (CKM_EC_EDWARDS_KEY_PAIR_GEN) labelled `key_label` inside the
/// token: the private key is a token object, sensitive and not extractable. Writes the 32-byte
/// public key. Returns 0 on success.
int attest_p11_generate_ed25519(attest_p11_ctx *ctx, const char *key_label, uint8_t public_key[32], char *err, size_t errlen);

/// Finds the Ed25519 private key labelled `key_label` (CKK_EC_EDWARDS on curve Ed25519; other keys
/// with that label are ignored) and its public key. Returns 0 on success, 1 when there is no such
/// key, -1 on error (also when several Ed25519 keys have that label).
int attest_p11_find_ed25519(attest_p11_ctx *ctx, const char *key_label, uint8_t public_key[32], char *err, size_t errlen);

/// Whether the token can make and sign with Ed25519 keys: 1 when the slot's mechanism list has
/// CKM_EDDSA (for signing) and CKM_EC_EDWARDS_KEY_PAIR_GEN (for key-pair generation), 0 when not,
/// -1 when the token cannot be asked.
int attest_p11_supports_eddsa(attest_p11_ctx *ctx);

/// Generates an ECDSA NIST P-256 key pair (CKM_EC_KEY_PAIR_GEN, CKA_EC_PARAMS prime256v1) labelled
/// `key_label` inside the token: the private key is a token object, sensitive and not extractable.
/// Writes the 65-byte uncompressed public point (04 || X || Y) to `point`, which has room for
/// *len bytes (at least 65), and sets *len to 65. Returns 0 on success.
int attest_p11_generate_p256(attest_p11_ctx *ctx, const char *key_label, uint8_t *point, size_t *len, char *err, size_t errlen);

/// Finds the ECDSA P-256 private key labelled `key_label` (CKK_EC on curve prime256v1; other keys
/// with that label are ignored) and its public point, written as in attest_p11_generate_p256.
/// Returns 0 on success, 1 when there is no such key, -1 on error (also when several P-256 keys
/// have that label).
int attest_p11_find_p256(attest_p11_ctx *ctx, const char *key_label, uint8_t *point, size_t *len, char *err, size_t errlen);

/// The algorithm of the key found or generated last: ATTEST_P11_ED25519, ATTEST_P11_ECDSA_P256, or
/// 0 when none is selected. A find that returns 1 or -1 leaves the selection as it was.
int attest_p11_key_algorithm(attest_p11_ctx *ctx);

/// Signs with the key found or generated last, by its type. Ed25519 (CKM_EDDSA, pure Ed25519):
/// `data` is the message. ECDSA P-256 (CKM_ECDSA): `data` must be its 32-byte SHA-256 digest,
/// computed by the caller; the signature is raw r || s. Either way 64 bytes. Returns 0 on success.
int attest_p11_sign(attest_p11_ctx *ctx, const uint8_t *data, size_t len, uint8_t signature[64], char *err, size_t errlen);

/// Whether the key found or generated last is marked extractable (it must not be).
int attest_p11_private_key_extractable(attest_p11_ctx *ctx);

/// Closes the session; the module is finalized when its last context closes.
void attest_p11_close(attest_p11_ctx *ctx);

#endif
