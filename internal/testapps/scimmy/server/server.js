// An in-memory SCIM 2.0 service provider for tests, built on scimmy (the
// resources, schemas, filters and PatchOp) and scimmy-routers (the express endpoints). Only the
// storage below is ours.
//
// Usage: node server.js <port> <token> [<state file>]. Port 0 picks a free port. Once listening
// it prints "listening on <port>" on stdout. Requests authenticate with "Bearer <token>" or with
// HTTP Basic as user "scim" with password <token>. With a state file, users and groups are
// loaded from it at start and saved to it after every change, so that a test can stop the
// server and start it again with its data, as an app that comes back after an outage.
//
// Like many real apps, it refuses a second user with the same userName and a second group with
// the same displayName (409 uniqueness), and a group member that names no user (400).
import {randomUUID} from "node:crypto";
import {existsSync, readFileSync, renameSync, writeFileSync} from "node:fs";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const [port, token, stateFile] = process.argv.slice(2);
if (port === undefined || !token) {
    console.error("usage: node server.js <port> <token> [<state file>]");
    process.exit(2);
}

const users = new Map();
const groups = new Map();

if (stateFile && existsSync(stateFile)) {
    const state = JSON.parse(readFileSync(stateFile, "utf8"));
    for (const u of state.users) users.set(u.id, u);
    for (const g of state.groups) groups.set(g.id, g);
}

// save writes the state file whole, through a rename so that a kill never leaves half of it.
const save = () => {
    if (!stateFile) return;
    writeFileSync(stateFile + ".new", JSON.stringify({users: [...users.values()], groups: [...groups.values()]}));
    renameSync(stateFile + ".new", stateFile);
};

// plain turns a scimmy schema instance into a plain object that can be stored.
const plain = (instance) => JSON.parse(JSON.stringify(instance));

// stamp adds the meta that scimmy expects of a stored resource.
const stamp = (resource, created) => {
    const now = new Date();
    resource.meta = {created: created ?? now, lastModified: now};
    return resource;
};

// egress answers a read: one resource by id, or those the request's filter matches.
const egress = (store, kind) => (resource) => {
    if (resource.id) {
        const found = store.get(resource.id);
        if (!found) throw new SCIMMY.Types.Error(404, null, `${kind} ${resource.id} not found`);
        return found;
    }
    const all = [...store.values()];
    return resource.filter ? resource.filter.match(all) : all;
};

// unique refuses a value of attr that another resource of store already holds.
const unique = (store, id, attr, value) => {
    for (const other of store.values()) {
        if (other.id !== id && String(other[attr]).toLowerCase() === String(value).toLowerCase())
            throw new SCIMMY.Types.Error(409, "uniqueness", `${attr} ${JSON.stringify(value)} is taken`);
    }
};

// degress answers a delete; deleting a user also drops it from every group.
const degress = (store, kind) => (resource) => {
    if (!store.delete(resource.id)) throw new SCIMMY.Types.Error(404, null, `${kind} ${resource.id} not found`);
    if (store === users) {
        for (const g of groups.values()) g.members = (g.members ?? []).filter((m) => m.value !== resource.id);
    }
    save();
};

SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false))
    .ingress((resource, instance) => {
        const data = plain(instance);
        const old = resource.id ? users.get(resource.id) : undefined;
        if (resource.id && !old) throw new SCIMMY.Types.Error(404, null, `User ${resource.id} not found`);
        unique(users, resource.id, "userName", data.userName);
        // A PATCH or PUT without a password keeps the one the user has (it is never returned).
        if (old && data.password === undefined && old.password !== undefined) data.password = old.password;
        const user = stamp({...data, id: resource.id ?? randomUUID()}, old?.meta?.created);
        users.set(user.id, user);
        save();
        return user;
    })
    .egress(egress(users, "User"))
    .degress(degress(users, "User"));

SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .ingress((resource, instance) => {
        const data = plain(instance);
        const old = resource.id ? groups.get(resource.id) : undefined;
        if (resource.id && !old) throw new SCIMMY.Types.Error(404, null, `Group ${resource.id} not found`);
        unique(groups, resource.id, "displayName", data.displayName);
        for (const m of data.members ?? []) {
            if (!users.has(m.value)) throw new SCIMMY.Types.Error(400, "invalidValue", `member ${m.value} is no user`);
        }
        const group = stamp({...data, id: resource.id ?? randomUUID()}, old?.meta?.created);
        groups.set(group.id, group);
        save();
        return group;
    })
    .egress(egress(groups, "Group"))
    .degress(degress(groups, "Group"));

const basic = "Basic " + Buffer.from(`scim:${token}`).toString("base64");
const app = express();
app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    handler: (req) => {
        const got = req.header("Authorization");
        if (got !== `Bearer ${token}` && got !== basic) throw new Error("Unauthorized");
        return "test-client";
    },
}));

const server = app.listen(Number(port), "127.0.0.1", () => {
    console.log(`listening on ${server.address().port}`);
});
// The test kills the process group; these make a plain SIGTERM or a closed stdin end it too.
process.on("SIGTERM", () => process.exit(0));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
