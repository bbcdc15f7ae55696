"""The operator and merchant console: a one-page web app (page.py) and its API under
/console/api/* (api.py), behind the HTTP API's Cognito JWT authorizer (identity.py)."""
