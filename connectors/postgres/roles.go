package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/scim-operator/scim-operator/connectors"
)

// The comment of every role the operator created says which app manages it:
//
//	managed by scim-operator app <uid> (<namespace>/<name>): user <SCIM id>
//
// Only roles whose comment names the client's own app UID are ever altered or dropped.
// legacyPrefix starts the comments of older versions, which named no app.
const (
	markPrefix   = "managed by scim-operator app "
	legacyPrefix = "managed by scim-operator: "
)

type kind string

const (
	kindUser  kind = "user"
	kindGroup kind = "group"
)

// mark is the comment of a role of kind k that app o created for the SCIM resource id.
func mark(o connectors.Owner, k kind, id string) string {
	m := markPrefix + o.UID + " (" + o.Namespace + "/" + o.Name + "): " + string(k)
	if id != "" {
		m += " " + id
	}
	return m
}

// role is what the server holds of one role.
type role struct {
	exists  bool
	login   bool
	comment string
}

// label is a role's comment, parsed.
type label struct {
	format        int // noMark, legacyMark or appMark
	uid, ns, name string
	kind          kind
	id            string
}

const (
	noMark = iota
	legacyMark
	appMark
)

func (r role) label() label {
	if rest, ok := strings.CutPrefix(r.comment, legacyPrefix); ok {
		k, id, _ := strings.Cut(rest, " ")
		return label{format: legacyMark, kind: kind(k), id: id}
	}
	rest, ok := strings.CutPrefix(r.comment, markPrefix)
	if !ok {
		return label{}
	}
	uid, rest, ok1 := strings.Cut(rest, " (")
	app, rest, ok2 := strings.Cut(rest, "): ")
	ns, name, ok3 := strings.Cut(app, "/")
	if !ok1 || !ok2 || !ok3 || uid == "" {
		return label{}
	}
	k, id, _ := strings.Cut(rest, " ")
	return label{format: appMark, uid: uid, ns: ns, name: name, kind: kind(k), id: id}
}

// managedAs reports whether app o manages the role as kind k, whatever SCIM id follows: a
// resource deleted and created again under a new id takes its role back.
func (r role) managedAs(o connectors.Owner, k kind) bool {
	l := r.label()
	return l.format == appMark && l.uid == o.UID && l.kind == k
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func lookupRole(ctx context.Context, q querier, name string) (role, error) {
	r := role{exists: true}
	err := q.QueryRow(ctx, `SELECT rolcanlogin, coalesce(shobj_description(oid, 'pg_authid'), '')
		FROM pg_roles WHERE rolname = $1`, name).Scan(&r.login, &r.comment)
	if errors.Is(err, pgx.ErrNoRows) {
		return role{}, nil
	}
	if err != nil {
		return role{}, fmt.Errorf("postgres: looking up role %q: %w", name, err)
	}
	return r, nil
}

// owned returns nil when the role is absent or app o may manage it as kind k (the caller
// then writes o's mark on it), else a NotManagedError: the role is left alone. o may manage
// the roles it marked; with a legacy mark of the very resource id (made for this resource
// before marks named the app, so unambiguous); and, with adoptExisting, unmarked and legacy
// roles and those of an earlier app of the same namespace and name.
func owned(o connectors.Owner, name string, r role, k kind, id string) error {
	if !r.exists || r.managedAs(o, k) {
		return nil
	}
	l := r.label()
	notManaged := &connectors.NotManagedError{Kind: string(k), Account: fmt.Sprintf("role %q", name), Holder: connectors.HeldByNobody}
	switch {
	case l.format == appMark && l.uid == o.UID:
		notManaged.Holder = connectors.HeldAsOtherKind
	case l.format == appMark && (l.ns != o.Namespace || l.name != o.Name):
		notManaged.Holder = connectors.HeldByOtherApp
	case l.format == appMark && l.kind != k:
		notManaged.Holder = connectors.HeldByOtherApp
	case l.format == appMark: // an earlier app of this namespace and name
		if o.AdoptExisting {
			return nil
		}
		notManaged.Holder = connectors.HeldByOtherApp
	case l.format == legacyMark && l.kind == k && id != "" && l.id == id:
		return nil
	case l.format == legacyMark && l.kind != k:
		// An older version made it as the other kind, for some app: never taken over.
		notManaged.Holder = connectors.HeldByOtherApp
	case o.AdoptExisting:
		return nil
	}
	return notManaged
}

// validName refuses names that PostgreSQL would change or reject before looking at them.
func validName(name string) error {
	switch {
	case name == "":
		return errors.New("postgres: empty role name")
	case len(name) > 63:
		// The server would silently truncate it to NAMEDATALEN-1 bytes and never find it again.
		return fmt.Errorf("postgres: role name %q is longer than 63 bytes", name)
	case strings.ContainsRune(name, 0) || !utf8.ValidString(name):
		return fmt.Errorf("postgres: role name %q has a NUL byte or is not UTF-8", name)
	}
	return nil
}

// ident quotes a role name as an identifier: in double quotes, with each double quote doubled.
func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// literal quotes s as a string literal, for the statements that take no parameters (PASSWORD
// of CREATE/ALTER ROLE, COMMENT ON). It uses the escape-string form E'...' with every
// backslash and single quote doubled: inside an E-string those two are the only characters
// with a meaning, so the result is one literal whatever standard_conforming_strings says.
// NUL and invalid UTF-8 are refused: pgx always speaks UTF-8, where no byte of a multibyte
// character is a quote or a backslash, so no encoding trick can end the literal early.
func literal(s string) (string, error) {
	if strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
		return "", errors.New("postgres: string has a NUL byte or is not UTF-8")
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `'`, `''`)
	return "E'" + s + "'", nil
}

// setMark comments the role with app o's mark unless it already carries exactly it.
func setMark(ctx context.Context, tx pgx.Tx, o connectors.Owner, name string, r role, k kind, id string) error {
	want := mark(o, k, id)
	if r.exists && r.comment == want {
		return nil
	}
	lit, err := literal(want)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "COMMENT ON ROLE "+ident(name)+" IS "+lit); err != nil {
		return fmt.Errorf("postgres: marking role %q: %w", name, err)
	}
	return nil
}

// rename renames app o's role from to to, when the resource was renamed: only when from
// is a role of kind k that o manages and no role is named to yet. Otherwise it does nothing and
// the caller makes the role named to match. (Renaming clears only MD5 passwords, which are
// salted with the name; SCRAM ones survive.)
func rename(ctx context.Context, tx pgx.Tx, o connectors.Owner, from, to string, k kind) error {
	if from == "" || from == to || validName(from) != nil {
		return nil
	}
	old, err := lookupRole(ctx, tx, from)
	if err != nil || !old.managedAs(o, k) {
		return err
	}
	cur, err := lookupRole(ctx, tx, to)
	if err != nil || cur.exists {
		return err
	}
	if _, err := tx.Exec(ctx, "ALTER ROLE "+ident(from)+" RENAME TO "+ident(to)); err != nil {
		return fmt.Errorf("postgres: renaming role %q to %q: %w", from, to, err)
	}
	return nil
}

// deleteRole drops the app's role of kind k; a missing role is not an error, and a role the
// app does not manage is reported and kept. DROP ROLE
// fails while the role owns objects or holds privileges in some database: that error is
// returned as it is (it is not reassigned or dropped here) and shows on the resource, until an
// administrator runs REASSIGN OWNED / DROP OWNED.
func (c *client) deleteRole(ctx context.Context, name string, k kind, id string) error {
	if err := validName(name); err != nil {
		return err
	}
	return c.inTx(ctx, func(tx pgx.Tx) error {
		r, err := lookupRole(ctx, tx, name)
		if err != nil {
			return err
		}
		if err := owned(c.owner, name, r, k, id); err != nil || !r.exists {
			return err
		}
		_, err = tx.Exec(ctx, "DROP ROLE IF EXISTS "+ident(name))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "2BP01" { // dependent_objects_still_exist
			return fmt.Errorf("postgres: role %q still owns objects or holds privileges "+
				"(reassign or drop them with REASSIGN OWNED / DROP OWNED): %w", name, err)
		}
		if err != nil {
			return fmt.Errorf("postgres: dropping role %q: %w", name, err)
		}
		return nil
	})
}
