import assert from "node:assert/strict";
import { denoVersionWarning } from "./deno_version.ts";

Deno.test("deno version: 2.9.4 to 2.9.6 are warned about, others are not", () => {
  for (const v of ["2.9.4", "2.9.5", "2.9.6", "2.9.5+abc1234"]) {
    assert.match(denoVersionWarning(v) ?? "", /crashes grpc-js servers.*deno@2\.9\.3/, v);
  }
  for (const v of ["2.9.3", "2.9.7", "2.8.3", "2.7.14", "3.0.0", "nonsense"]) {
    assert.equal(denoVersionWarning(v), undefined, v);
  }
});
