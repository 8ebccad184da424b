import express, { type RequestHandler } from "express";

/** The dashboard's own files at `/` (`index.html`) and by name; any other path goes on to the API. */
export function dashboardFiles(folder: string): RequestHandler {
  const files = express.static(folder, {
    index: "index.html",
    dotfiles: "deny",
    redirect: false,
    setHeaders: (response) => {
      // The page loads nothing but its own files and talks to nothing but this API; no other site may frame it.
      response.setHeader(
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
          "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      );
      response.setHeader("x-content-type-options", "nosniff");
      response.setHeader("referrer-policy", "no-referrer");
      response.setHeader("cache-control", "no-cache");
    },
  });
  return (request, response, next) => {
    if (request.method !== "GET" && request.method !== "HEAD") return next();
    if (request.path !== "/" && !DASHBOARD_FILE.test(request.path)) return next();
    files(request, response, next);
  };
}

/** The dashboard's files are named plainly at the top of its folder. */
const DASHBOARD_FILE = /^\/[a-z][a-z0-9-]*\.(html|js|css|svg|png)$/;
