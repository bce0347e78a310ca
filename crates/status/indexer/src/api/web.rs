//! The explorer's static files, served at `/` from the `web_root` directory when it is set.
//! The API's routes are matched first; a file is served only for a `GET` or `HEAD` no route
//! took (another method on such a path is a `405`). A path with no file extension that names no file gets `index.html` (the explorer is a
//! single-page app routing in the browser); any other miss is the API's typed `404`. With a
//! `web_manifest`, `/manifest.json` is that file, so the explorer finds the deployment's chains
//! beside itself without a copy of the manifest in its build.

use super::{ApiError, ErrorCode};
use axum::{
    http::{header, HeaderValue, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use std::path::{Component, Path, PathBuf};

/// Where the `web_manifest` file is served.
const MANIFEST_PATH: &str = "/manifest.json";

/// `app` with `root`'s files served for the `GET`s no route took: a catch-all route (not a
/// fallback, which the kit's server keeps for its JSON `404`), which the router matches only
/// after every static and parameter route.
pub(super) fn serve_files(app: Router, root: PathBuf, manifest: Option<PathBuf>) -> Router {
    let files = move |method: Method, uri: Uri| {
        let root = root.clone();
        let manifest = manifest.clone();
        async move {
            match manifest {
                Some(manifest) if uri.path() == MANIFEST_PATH => {
                    read_response(&manifest, &method, uri.path()).await
                }
                _ => file_response(&root, &method, uri.path()).await,
            }
        }
    };
    app.route("/", get(files.clone()))
        .route("/{*path}", get(files))
}

/// The file under `root` that `path` names, refusing anything that leaves `root`.
fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let decoded = super::percent_decode(path.trim_start_matches('/'))?;
    let relative = Path::new(&decoded);
    if relative
        .components()
        .any(|part| !matches!(part, Component::Normal(_)))
    {
        return None;
    }
    Some(root.join(relative))
}

/// The `Content-Type` of a file, by its extension.
fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|ext| ext.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// The typed `404` for `path`.
fn not_found(path: &str) -> Response {
    ApiError::new(
        ErrorCode::NotFound,
        format!("nothing is served at {}", super::quoted(path)),
    )
    .into_response()
}

async fn file_response(root: &Path, method: &Method, path: &str) -> Response {
    let Some(mut file) = resolve(root, path) else {
        return not_found(path);
    };
    if path.ends_with('/') || tokio::fs::metadata(&file).await.is_ok_and(|m| m.is_dir()) {
        file = file.join("index.html");
    } else if file.extension().is_none() && !tokio::fs::try_exists(&file).await.unwrap_or(false) {
        file = root.join("index.html");
    }
    read_response(&file, method, path).await
}

/// `file`'s contents as the answer to a `GET` (its headers alone to a `HEAD`) of `path`.
async fn read_response(file: &Path, method: &Method, path: &str) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return not_found(path);
    }
    match tokio::fs::read(file).await {
        Ok(body) => {
            let kind = HeaderValue::from_static(content_type(file));
            let body = if method == Method::HEAD {
                Vec::new()
            } else {
                body
            };
            (StatusCode::OK, [(header::CONTENT_TYPE, kind)], body).into_response()
        }
        Err(_) => not_found(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_never_leave_the_root() {
        let root = Path::new("/srv/web");
        assert_eq!(
            resolve(root, "/assets/app.js"),
            Some(PathBuf::from("/srv/web/assets/app.js"))
        );
        assert_eq!(resolve(root, "/"), Some(PathBuf::from("/srv/web/")));
        for bad in ["/../etc/passwd", "/a/../../b", "/%2e%2e/x", "/%zz"] {
            assert_eq!(resolve(root, bad), None, "{bad}");
        }
    }
}
