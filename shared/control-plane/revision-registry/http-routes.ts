import { Router } from "express";
import { RevisionNotFound } from "../../errors/index.js";
import type { RevisionRecord } from "../../ports/index.js";
import { isLoopbackAddress } from "../index.js";
import type { RevisionRegistry } from "./handler.js";

/** The registry's HTTP routes (mounted at `/registry` in `twined dev`; the whole function in the cloud). */
export function revisionRegistryRoutes(registry: RevisionRegistry): Router {
  const router = Router();

  router.get("/", async (_request, response) => {
    response.json({ revisions: (await registry.list()).map(toJson) });
  });

  // Octue's contract: with ?revision_tag the revision's existence, without it the default revision's tag.
  router.get("/:namespace/:name", async (request, response) => {
    const { namespace, name } = request.params;
    const tag = request.query.revision_tag;
    if (typeof tag === "string" && tag !== "") {
      const revision = await registry.find(namespace, name, tag);
      if (revision === undefined) throw new RevisionNotFound(`${namespace}/${name}:${tag}`);
      response.json(toJson(revision));
      return;
    }
    const found = await registry.defaultTag(namespace, name);
    if (found === undefined) throw new RevisionNotFound(`${namespace}/${name}`, "the service has no default revision");
    response.json(found);
  });

  router.get("/:namespace/:name/revisions", async (request, response) => {
    const { namespace, name } = request.params;
    response.json({ revisions: (await registry.list(namespace, name)).map(toJson) });
  });

  router.put("/:namespace/:name/revisions/:tag", async (request, response) => {
    const { namespace, name, tag } = request.params;
    const existed = (await registry.find(namespace, name, tag)) !== undefined;
    const revision = await registry.register(namespace, name, tag, request.body, {
      fromThisMachine: isLoopbackAddress(request.socket.remoteAddress),
    });
    response.status(existed ? 200 : 201).json(toJson(revision));
  });

  router.put("/:namespace/:name/default", async (request, response) => {
    const { namespace, name } = request.params;
    response.json(toJson(await registry.setDefault(namespace, name, request.body)));
  });

  return router;
}

/** A revision as the API shows it (snake_case, like the rest of the protocol). */
function toJson(revision: RevisionRecord) {
  return {
    namespace: revision.namespace,
    name: revision.name,
    revision_tag: revision.revisionTag,
    sruid: revision.sruid,
    is_default: revision.isDefault,
    registered_at: revision.registeredAt,
    source: revision.source,
    twine: revision.twine,
  };
}
