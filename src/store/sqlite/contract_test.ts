import { storeContract } from "../contract.ts";
import { openSqlite } from "./mod.ts";

storeContract("sqlite, worker writer", (path) => openSqlite(path));
storeContract("sqlite, inline writer", (path) => openSqlite(path, { writer: "inline" }));
