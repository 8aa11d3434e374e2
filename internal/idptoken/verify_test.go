package idptoken

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestVerify(t *testing.T) {
	rsaKey := newRSAKey(t, "rsa-1")
	ecKey := newECKey(t, "ec-1")
	edKey := newEdKey(t, "ed-1")
	pssKey := newRSAKey(t, "ps-1")
	pssKey.alg = jose.PS256
	server := newJWKSServer(t, rsaKey, ecKey, edKey, pssKey)
	v, _ := newTestVerifier(server)

	// An attacker's key, once under a kid the provider uses and once under its own.
	impostor := newRSAKey(t, "rsa-1")
	stranger := newRSAKey(t, "stranger")

	// The classic algorithm confusion: HMAC keyed with the provider's public key, which anyone
	// can download.
	der, err := x509.MarshalPKIXPublicKey(rsaKey.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	with := func(change func(*claims)) claims {
		c := goodClaims()
		change(&c)
		return c
	}

	cases := map[string]struct {
		reason  string
		token   string
		cfg     func(*Config)
		want    string
		wantErr error
	}{
		"RSA": {
			reason: "a token signed RS256 by a key of the set verifies and names its subject.",
			token:  sign(t, rsaKey, "", goodClaims()),
			want:   "user-1",
		},
		"RSA-PSS": {
			reason: "PS256 is an accepted RSA algorithm.",
			token:  sign(t, pssKey, "", goodClaims()),
			want:   "user-1",
		},
		"algorithm the key does not allow": {
			reason:  "a key published for RS256 does not verify a PS256 token (the JWK's alg binds it).",
			token:   sign(t, rsaKey, jose.PS256, goodClaims()),
			wantErr: ErrInvalidToken,
		},
		"EC": {
			reason: "a token signed ES256 by a key of the set verifies.",
			token:  sign(t, ecKey, "", goodClaims()),
			want:   "user-1",
		},
		"EdDSA": {
			reason: "a token signed EdDSA by a key of the set verifies.",
			token:  sign(t, edKey, "", goodClaims()),
			want:   "user-1",
		},
		"appid": {
			reason: "an app-only Entra v1 token without sub is named by appid.",
			token:  sign(t, rsaKey, "", with(func(c *claims) { c.Subject, c.AppID = "", "app-1" })),
			want:   "app-1",
		},
		"azp": {
			reason: "an app-only Entra v2 token without sub is named by azp.",
			token:  sign(t, rsaKey, "", with(func(c *claims) { c.Subject, c.AZP = "", "app-2" })),
			want:   "app-2",
		},
		"no subject": {
			reason:  "a token naming no caller at all is refused.",
			token:   sign(t, rsaKey, "", with(func(c *claims) { c.Subject = "" })),
			wantErr: ErrInvalidToken,
		},
		"one of several audiences": {
			reason: "the token's audiences and the configured ones need only share one.",
			token:  sign(t, rsaKey, "", with(func(c *claims) { c.Audience = jwt.Audience{"other", testAudience} })),
			cfg:    func(c *Config) { c.Audiences = []string{"api://scim", testAudience} },
			want:   "user-1",
		},
		"wrong issuer": {
			reason:  "a token of another issuer is refused even when signed by a trusted key.",
			token:   sign(t, rsaKey, "", with(func(c *claims) { c.Issuer = "https://evil.example/" })),
			wantErr: ErrInvalidToken,
		},
		"wrong audience": {
			reason:  "a token meant for another application is refused.",
			token:   sign(t, rsaKey, "", with(func(c *claims) { c.Audience = jwt.Audience{"another-app"} })),
			wantErr: ErrInvalidToken,
		},
		"expired": {
			reason:  "a token expired longer ago than the leeway is refused.",
			token:   sign(t, rsaKey, "", with(func(c *claims) { c.Expiry = jwt.NewNumericDate(testNow.Add(-2 * time.Minute)) })),
			wantErr: ErrInvalidToken,
		},
		"expired within leeway": {
			reason: "60 s of clock skew are forgiven.",
			token:  sign(t, rsaKey, "", with(func(c *claims) { c.Expiry = jwt.NewNumericDate(testNow.Add(-30 * time.Second)) })),
			want:   "user-1",
		},
		"no expiry": {
			reason:  "a token that never expires is refused.",
			token:   sign(t, rsaKey, "", with(func(c *claims) { c.Expiry = nil })),
			wantErr: ErrInvalidToken,
		},
		"not yet valid": {
			reason:  "a token whose nbf is further ahead than the leeway is refused.",
			token:   sign(t, rsaKey, "", with(func(c *claims) { c.NotBefore = jwt.NewNumericDate(testNow.Add(2 * time.Minute)) })),
			wantErr: ErrInvalidToken,
		},
		"impostor key": {
			reason:  "a token signed by a key not in the set, under a kid that is, fails its signature.",
			token:   sign(t, impostor, "", goodClaims()),
			wantErr: ErrInvalidToken,
		},
		"unknown key": {
			reason:  "a token signed by a key not in the set, under its own kid, finds no key.",
			token:   sign(t, stranger, "", goodClaims()),
			wantErr: ErrInvalidToken,
		},
		"HS256 with the public key": {
			reason:  "HMAC keyed with the provider's public key must never verify (algorithm confusion).",
			token:   signHMAC(t, publicPEM, goodClaims()),
			wantErr: ErrInvalidToken,
		},
		"alg none": {
			reason:  "an unsigned token is refused.",
			token:   unsigned(t, "rsa-1", goodClaims()),
			wantErr: ErrInvalidToken,
		},
		"malformed": {
			reason:  "a string that is not a JWS is refused.",
			token:   "not.a.token",
			wantErr: ErrInvalidToken,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := server.config()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			got, err := v.Verify(context.Background(), tc.token, cfg)
			if diff := cmp.Diff(tc.wantErr, err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("%s\nVerify(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nVerify(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// signHMAC signs c with HS256 keyed by secret.
func signHMAC(t *testing.T, secret []byte, c claims) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: secret}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	token, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestVerifyConfig(t *testing.T) {
	rsaKey := newRSAKey(t, "rsa-1")
	server := newJWKSServer(t, rsaKey)
	v, _ := newTestVerifier(server)
	token := sign(t, rsaKey, "", goodClaims())

	cases := map[string]struct {
		reason string
		cfg    func(*Config)
	}{
		"no issuer": {
			reason: "an empty issuer would make go-jose skip the issuer check.",
			cfg:    func(c *Config) { c.Issuer = "" },
		},
		"no audiences": {
			reason: "empty audiences would make go-jose skip the audience check.",
			cfg:    func(c *Config) { c.Audiences = nil },
		},
		"no JWKS URL": {
			reason: "without keys nothing can be verified.",
			cfg:    func(c *Config) { c.JWKSURL = "" },
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := server.config()
			tc.cfg(&cfg)
			if got, err := v.Verify(context.Background(), token, cfg); err == nil {
				t.Errorf("%s\nVerify(...) = %q, want an error", tc.reason, got)
			}
		})
	}
}

func TestUnverified(t *testing.T) {
	rsaKey := newRSAKey(t, "rsa-1")
	type result struct {
		Issuer    string
		Audiences []string
	}
	cases := map[string]struct {
		reason  string
		token   string
		want    result
		wantErr error
	}{
		"issuer and audience": {
			reason: "the iss and aud claims are read without verifying anything.",
			token:  sign(t, rsaKey, "", goodClaims()),
			want:   result{Issuer: testIssuer, Audiences: []string{testAudience}},
		},
		"no issuer": {
			reason:  "a token without iss cannot be matched to a tenant.",
			token:   sign(t, rsaKey, "", func() claims { c := goodClaims(); c.Issuer = ""; return c }()),
			wantErr: ErrInvalidToken,
		},
		"alg none": {
			reason:  "an unsigned token is not worth looking into.",
			token:   unsigned(t, "rsa-1", goodClaims()),
			wantErr: ErrInvalidToken,
		},
		"malformed": {
			reason:  "a string that is not a JWS has no issuer.",
			token:   "garbage",
			wantErr: ErrInvalidToken,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			issuer, audiences, err := Unverified(tc.token)
			if diff := cmp.Diff(tc.wantErr, err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("%s\nUnverified(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want, result{issuer, audiences}, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nUnverified(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestVerifyClientAndRoles(t *testing.T) {
	key := newRSAKey(t, "rsa-1")
	server := newJWKSServer(t, key)
	v, _ := newTestVerifier(server)
	const provisioning, other = "provisioning-app", "someone-elses-app"
	token := func(extra map[string]any) string {
		c := goodClaims()
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.alg, Key: jose.JSONWebKey{Key: key.priv, KeyID: key.kid}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := jwt.Signed(signer).Claims(c.Claims).Claims(extra).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	restricted := func(c *Config) {
		c.AllowedClientIDs = []string{provisioning}
		c.RequiredRoles = []string{"SCIM.Provision"}
	}
	cases := map[string]struct {
		reason  string
		cfg     func(*Config)
		claims  map[string]any
		wantErr error
	}{
		"no restriction": {
			reason: "without allowedClientIDs and requiredRoles any token of the audience is accepted.",
			cfg:    func(*Config) {},
			claims: map[string]any{"azp": other},
		},
		"allowed client and role (v2)": {
			reason: "Entra v2 tokens name the client in azp.",
			cfg:    restricted,
			claims: map[string]any{"azp": provisioning, "roles": []string{"SCIM.Provision", "Other"}},
		},
		"allowed client and role (v1)": {
			reason: "Entra v1 tokens name the client in appid.",
			cfg:    restricted,
			claims: map[string]any{"appid": provisioning, "roles": []string{"SCIM.Provision"}},
		},
		"allowed client (RFC 9068), role as a string": {
			reason: "client_id names the client in RFC 9068 tokens; some providers send one role as a string.",
			cfg:    restricted,
			claims: map[string]any{"client_id": provisioning, "roles": "SCIM.Provision"},
		},
		"another client": {
			reason:  "another application of the provider asking for the same audience is not let in.",
			cfg:     restricted,
			claims:  map[string]any{"azp": other, "roles": []string{"SCIM.Provision"}},
			wantErr: ErrInvalidToken,
		},
		"two clients, one not allowed": {
			reason:  "every client claim present must be allowed, not just one.",
			cfg:     restricted,
			claims:  map[string]any{"azp": provisioning, "appid": other, "roles": []string{"SCIM.Provision"}},
			wantErr: ErrInvalidToken,
		},
		"no client claim": {
			reason:  "a token that names no client cannot be of an allowed one.",
			cfg:     restricted,
			claims:  map[string]any{"roles": []string{"SCIM.Provision"}},
			wantErr: ErrInvalidToken,
		},
		"role missing": {
			reason:  "a token of the allowed client without the required role lacks scope (403).",
			cfg:     restricted,
			claims:  map[string]any{"azp": provisioning, "roles": []string{"Other"}},
			wantErr: ErrInsufficientScope,
		},
		"no roles": {
			reason:  "no roles claim at all lacks scope too.",
			cfg:     restricted,
			claims:  map[string]any{"azp": provisioning},
			wantErr: ErrInsufficientScope,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := server.config()
			tc.cfg(&cfg)
			_, err := v.Verify(context.Background(), token(tc.claims), cfg)
			if diff := cmp.Diff(tc.wantErr, err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("%s\nVerify(...): -want error, +got error:\n%s", tc.reason, diff)
			}
		})
	}
}
