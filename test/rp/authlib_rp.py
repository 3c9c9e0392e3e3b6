"""A relying party written with Python's authlib, as an authlib user would write one.

Reads one JSON object on stdin (kept off the command line: it holds a secret and a password):
  {"issuer", "client_id", "client_secret", "redirect_uri", "username", "password", "scope"?}

Then, against the issuer:
  1. discovery: {issuer}/.well-known/openid-configuration (its "issuer" must be the issuer);
  2. the authorization URL, built by authlib's OAuth2Session (code flow, PKCE S256, state, nonce);
  3. the user's part, played with a requests.Session: GET that URL, follow redirects to the login
     form, POST its fields (hidden csrf and tenant kept) with the username and password, follow
     redirects until the redirect URI, which is not fetched (nothing listens there);
  4. the code exchanged by authlib (client_secret_basic, the code_verifier, the state checked);
  5. the ID token validated by authlib's JWT with the issuer's JWKS: signature, iss, aud, exp,
     iat, nonce, at_hash, azp;
  6. userinfo with the access token, through the same OAuth2Session;
  7. a refresh: authlib repeats the session's scope (the scope asked for at login), as it does by
     default; the ID token of the refresh, if any, is validated too (no nonce there).

Prints one JSON object on stdout: {"ok", "failed_step"?, "error"?, ...what each step saw}; exits 0
when every step succeeded, 1 otherwise. Needs only the standard library, authlib and requests
(Debian: python3-authlib, python3-requests); run it with /usr/bin/python3.
"""

import json
import sys
import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlparse

import authlib
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.oidc.core import CodeIDToken

TIMEOUT = 10


class StepFailed(Exception):
    def __init__(self, step, error):
        super().__init__(error)
        self.step = step
        self.error = error


class FormParser(HTMLParser):
    """The page's forms (action, method, inputs) and alert texts, as a browser would read them."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self.alerts = []
        self.title = ""
        self._in_alert = False
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "inputs": []})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["inputs"].append({"name": a["name"], "type": (a.get("type") or "text").lower(), "value": a.get("value") or ""})
        elif a.get("role") == "alert":
            self._in_alert = True
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        self._in_alert = False if tag in ("p", "div") else self._in_alert
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_alert and data.strip():
            self.alerts.append(data.strip())
        if self._in_title:
            self.title += data


def page_of(response):
    parser = FormParser()
    parser.feed(response.text)
    return parser


def follow(browser, response, redirect_uri):
    """Follows redirects like a browser; stops at the redirect URI without fetching it."""
    for _ in range(20):
        if not response.is_redirect:
            return response, None
        location = urljoin(response.url, response.headers["location"])
        if location.split("?")[0] == redirect_uri:
            return response, location
        response = browser.get(location, allow_redirects=False, timeout=TIMEOUT)
    raise StepFailed("login", "more than 20 redirects")


def validate_id_token(id_token, jwks, algs, issuer, client_id, nonce=None, access_token=None):
    """authlib's own ID token validation: signature, iss, aud, exp, iat, nonce, at_hash, azp."""
    claims = JsonWebToken(algs).decode(
        id_token,
        JsonWebKey.import_key_set(jwks),
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "values": [issuer]}, "aud": {"essential": True, "values": [client_id]}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": access_token},
    )
    claims.validate(now=int(time.time()), leeway=5)
    return dict(claims)


def oauth_error(e):
    """authlib's OAuthError as the wire said it (error, description), else the exception's text."""
    error = getattr(e, "error", None)
    if error:
        description = getattr(e, "description", None)
        return f"{error}: {description}" if description else error
    return f"{type(e).__name__}: {e}"


def run(cfg, seen):
    """The steps above; what each one saw goes into `seen`, also when a later one fails."""
    seen["authlib_version"] = authlib.__version__
    issuer = cfg["issuer"].rstrip("/")
    client_id = cfg["client_id"]
    redirect_uri = cfg["redirect_uri"]
    scope = cfg.get("scope") or "openid profile offline_access"

    # 1. discovery
    answer = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
    if answer.status_code != 200:
        raise StepFailed("discovery", f"HTTP {answer.status_code}: {answer.text[:300]}")
    meta = answer.json()
    if meta.get("issuer") != issuer:
        raise StepFailed("discovery", f"metadata issuer {meta.get('issuer')!r} is not {issuer!r}")
    algs = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
    jwks = requests.get(meta["jwks_uri"], timeout=TIMEOUT).json()

    # 2. the authorization URL, by authlib
    client = OAuth2Session(
        client_id,
        cfg["client_secret"],
        scope=scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    refresh_bodies = []
    client.register_compliance_hook("refresh_token_request", lambda url, headers, body: (refresh_bodies.append(body), (url, headers, body))[1])
    code_verifier = generate_token(48)
    nonce = generate_token(20)
    auth_url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=code_verifier, nonce=nonce)

    # 3. the user signs in
    browser = requests.Session()
    response, callback = follow(browser, browser.get(auth_url, allow_redirects=False, timeout=TIMEOUT), redirect_uri)
    if callback is None:
        page = page_of(response)
        forms = [f for f in page.forms if f["method"] == "post" and any(i["type"] == "password" for i in f["inputs"])]
        if response.status_code != 200 or not forms:
            raise StepFailed("login", f"expected the login form, got HTTP {response.status_code} {page.title.strip()!r} at {response.url}: {response.text[:300]}")
        form = forms[0]
        fields = {i["name"]: i["value"] for i in form["inputs"] if i["type"] not in ("submit", "button")}
        fields.update({"username": cfg["username"], "password": cfg["password"]})
        seen["login_form_fields"] = sorted(fields)
        posted = browser.post(urljoin(response.url, form["action"]), data=fields, allow_redirects=False, timeout=TIMEOUT)
        response, callback = follow(browser, posted, redirect_uri)
        if callback is None:
            page = page_of(response)
            raise StepFailed("login", f"signing in did not come back to the redirect URI: HTTP {response.status_code} {page.title.strip()!r} at {response.url}; alerts: {page.alerts}")
    params = parse_qs(urlparse(callback).query)
    if "error" in params:
        raise StepFailed("authorization", f"{params['error'][0]}: {params.get('error_description', [''])[0]}")

    # 4. the code, exchanged by authlib
    try:
        token = client.fetch_token(meta["token_endpoint"], authorization_response=callback, state=state, code_verifier=code_verifier)
    except Exception as e:  # authlib's OAuthError carries the wire's error code
        raise StepFailed("token", oauth_error(e))
    seen["token"] = {"token_type": token.get("token_type"), "scope": token.get("scope"), "expires_in": token.get("expires_in"), "has_refresh_token": "refresh_token" in token}

    # 5. the ID token, validated by authlib
    try:
        seen["id_token"] = validate_id_token(token["id_token"], jwks, algs, issuer, client_id, nonce=nonce, access_token=token["access_token"])
    except Exception as e:
        raise StepFailed("id_token", f"{type(e).__name__}: {e}")

    # 6. userinfo
    answer = client.get(meta["userinfo_endpoint"], timeout=TIMEOUT)
    if answer.status_code != 200:
        raise StepFailed("userinfo", f"HTTP {answer.status_code}: {answer.text[:300]}")
    seen["userinfo"] = answer.json()

    # 7. a refresh, with the scope authlib repeats from the session
    if "refresh_token" not in token:
        raise StepFailed("refresh", "no refresh_token in the token response")
    try:
        refreshed = client.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
    except Exception as e:
        raise StepFailed("refresh", oauth_error(e))
    finally:
        # What authlib sent (without the token itself): the scope it repeated.
        seen["refresh_request"] = {k: v for k, v in parse_qs("&".join(refresh_bodies)).items() if k != "refresh_token"}
    seen["refresh"] = {"scope": refreshed.get("scope"), "expires_in": refreshed.get("expires_in"), "new_access_token": refreshed.get("access_token") != token.get("access_token")}
    if "id_token" in refreshed:
        try:
            seen["refresh"]["id_token"] = validate_id_token(refreshed["id_token"], jwks, algs, issuer, client_id, access_token=refreshed["access_token"])
        except Exception as e:
            raise StepFailed("refresh_id_token", f"{type(e).__name__}: {e}")


def main():
    cfg = json.load(sys.stdin)
    seen = {}
    try:
        run(cfg, seen)
        print(json.dumps({"ok": True, **seen}, sort_keys=True, default=str))
        return 0
    except StepFailed as e:
        print(json.dumps({"ok": False, "failed_step": e.step, "error": e.error, **seen}, sort_keys=True, default=str))
        return 1
    except Exception as e:  # noqa: BLE001 - the caller reads the JSON, whatever broke
        print(json.dumps({"ok": False, "failed_step": "unexpected", "error": f"{type(e).__name__}: {e}", **seen}, sort_keys=True, default=str))
        return 1


if __name__ == "__main__":
    sys.exit(main())
