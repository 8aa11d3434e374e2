// Package all wires every built-in connector into the registry. Importing it is the only
// place that knows the list.
package all

import (
	_ "github.com/scim-operator/scim-operator/connectors/ldap"     // connector "ldap"
	_ "github.com/scim-operator/scim-operator/connectors/postgres" // connector "postgres"
	_ "github.com/scim-operator/scim-operator/connectors/scim"     // connector "scim"
	_ "github.com/scim-operator/scim-operator/connectors/webhook"  // connector "webhook"
)
