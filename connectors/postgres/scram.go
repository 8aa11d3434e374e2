package postgres

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"

	"golang.org/x/text/secure/precis"
)

// SCRAM-SHA-256 verifier parameters as PostgreSQL chooses them (scram_iterations's default,
// a 16-byte salt), so a role set by the operator is as strong as one set with \password.
const (
	scramIterations = 4096
	scramSaltLen    = 16
)

// scramVerifier returns the SCRAM-SHA-256 verifier of password (RFC 5802, RFC 7677) in the
// form PostgreSQL stores in pg_authid and accepts in CREATE/ALTER ROLE ... PASSWORD:
//
//	SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
//
// The server stores a string of that form as it is, so the plain password never reaches it.
func scramVerifier(password string) string {
	salt := make([]byte, scramSaltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails
	return scramVerifierWithSalt(password, salt, scramIterations)
}

func scramVerifierWithSalt(password string, salt []byte, iterations int) string {
	salted, err := pbkdf2.Key(sha256.New, saslPrep(password), salt, iterations, sha256.Size)
	if err != nil {
		panic(err) // only for parameters outside FIPS limits, which these are not
	}
	clientKey := hmacSHA256(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	serverKey := hmacSHA256(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return "SCRAM-SHA-256$" + strconv.Itoa(iterations) + ":" + b64(salt) + "$" + b64(storedKey[:]) + ":" + b64(serverKey)
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// saslPrep normalises the password as PostgreSQL does before hashing it (pg_saslprep): ASCII
// is used as it is; anything else is normalised (SASLprep, which the PRECIS OpaqueString
// profile follows for the characters passwords use), and a password that normalisation
// refuses is used as it is, as the server and pgx do too.
func saslPrep(password string) string {
	ascii := true
	for i := 0; i < len(password); i++ {
		if password[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return password
	}
	if p, err := precis.OpaqueString.String(password); err == nil {
		return p
	}
	return password
}
