// A throwaway PKI for the TLS tests, made with the OpenSSL C API when a test runs, so no key
// material is ever committed: two CAs, a server certificate for 127.0.0.1 and client certificates,
// written as PEM files (keys 0600) in a temporary directory.
#pragma once

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <array>
#include <memory>
#include <string>

#include "relay/core/bytes.hpp"
#include "tests/unit/store/store_fixtures.hpp"

namespace causeway::test::tls {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

struct Issued {
  KeyPtr key{nullptr, &EVP_PKEY_free};
  CertPtr cert{nullptr, &X509_free};
};

inline void add_extension(X509* cert, X509V3_CTX& context, int nid, const std::string& value) {
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  REQUIRE(extension != nullptr);
  REQUIRE(X509_add_ext(cert, extension, -1) == 1);
  X509_EXTENSION_free(extension);
}

// A P-256 certificate for `common_name`, signed by `issuer` (self-signed when null). A CA may sign
// certificates; a leaf may serve and be a client. `alt_names` is a subjectAltName value or empty.
inline Issued issue(const std::string& common_name, const Issued* issuer, bool ca, const std::string& alt_names) {
  static long serial = 1;
  Issued out;
  out.key.reset(EVP_EC_gen("P-256"));
  REQUIRE(out.key);
  out.cert.reset(X509_new());
  X509* cert = out.cert.get();
  REQUIRE(X509_set_version(cert, 2) == 1);
  REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++) == 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  REQUIRE(X509_set_pubkey(cert, out.key.get()) == 1);
  X509_NAME* name = X509_get_subject_name(cert);
  const auto text = [](const std::string& value) { return reinterpret_cast<const unsigned char*>(value.c_str()); };
  REQUIRE(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, text("Causeway test"), -1, -1, 0) == 1);
  REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, text(common_name), -1, -1, 0) == 1);
  X509* signer = issuer != nullptr ? issuer->cert.get() : cert;
  REQUIRE(X509_set_issuer_name(cert, X509_get_subject_name(signer)) == 1);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, signer, cert, nullptr, nullptr, 0);
  add_extension(cert, context, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add_extension(cert, context, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  add_extension(cert, context, NID_subject_key_identifier, "hash");
  if (!ca) add_extension(cert, context, NID_ext_key_usage, "serverAuth,clientAuth");
  if (!alt_names.empty()) add_extension(cert, context, NID_subject_alt_name, alt_names);
  EVP_PKEY* signing_key = issuer != nullptr ? issuer->key.get() : out.key.get();
  REQUIRE(X509_sign(cert, signing_key, EVP_sha256()) > 0);
  return out;
}

inline void write_cert(const Issued& issued, const std::string& path) {
  const std::unique_ptr<BIO, decltype(&BIO_free)> file(BIO_new_file(path.c_str(), "w"), &BIO_free);
  REQUIRE(file);
  REQUIRE(PEM_write_bio_X509(file.get(), issued.cert.get()) == 1);
}

inline void write_key(const Issued& issued, const std::string& path) {
  {
    const std::unique_ptr<BIO, decltype(&BIO_free)> file(BIO_new_file(path.c_str(), "w"), &BIO_free);
    REQUIRE(file);
    REQUIRE(PEM_write_bio_PrivateKey(file.get(), issued.key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
  }
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
}

// SHA-256 of the certificate's DER as 64 lower-case hex digits, as the server reports it.
inline std::string fingerprint(const Issued& issued) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned length = 0;
  REQUIRE(X509_digest(issued.cert.get(), EVP_sha256(), digest.data(), &length) == 1);
  return core::to_hex(core::ByteView(digest.data(), length), false);
}

// Files: ca.pem (the CA of the server and of the clients), server.pem/server.key (127.0.0.1 and
// localhost), client.pem/client.key and second.pem/second.key (two clients of that CA), and
// foreign.pem/foreign.key, a client of another CA with the same names.
struct Pki {
  Pki() {
    const Issued ca = issue("Causeway test CA", nullptr, true, "");
    const Issued other_ca = issue("Causeway test CA", nullptr, true, "");
    const Issued server = issue("relay", &ca, false, "IP:127.0.0.1,DNS:localhost");
    const Issued client = issue("operator", &ca, false, "");
    const Issued second = issue("auditor", &ca, false, "");
    const Issued foreign = issue("operator", &other_ca, false, "");
    write_cert(ca, path("ca.pem"));
    write_cert(other_ca, path("other-ca.pem"));
    write_cert(server, path("server.pem"));
    write_key(server, path("server.key"));
    write_cert(client, path("client.pem"));
    write_key(client, path("client.key"));
    write_cert(second, path("second.pem"));
    write_key(second, path("second.key"));
    write_cert(foreign, path("foreign.pem"));
    write_key(foreign, path("foreign.key"));
    client_fingerprint = fingerprint(client);
    second_fingerprint = fingerprint(second);
  }

  std::string path(const std::string& name) const { return dir.file(name); }

  TempDir dir;
  std::string client_fingerprint;
  std::string second_fingerprint;
};

}  // namespace causeway::test::tls
