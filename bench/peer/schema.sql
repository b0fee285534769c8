-- The peer's tables (schema.ts), with the indexes better-auth's CLI adds.
create table "user" (
  id text primary key, name text not null, email text not null unique,
  email_verified boolean not null default false, image text,
  created_at timestamp not null default now(), updated_at timestamp not null default now()
);
create table session (
  id text primary key, expires_at timestamp not null, token text not null unique,
  created_at timestamp not null default now(), updated_at timestamp not null,
  ip_address text, user_agent text,
  user_id text not null references "user"(id) on delete cascade
);
create index session_user_id_idx on session(user_id);
create table account (
  id text primary key, account_id text not null, provider_id text not null,
  user_id text not null references "user"(id) on delete cascade,
  access_token text, refresh_token text, id_token text,
  access_token_expires_at timestamp, refresh_token_expires_at timestamp,
  scope text, password text,
  created_at timestamp not null default now(), updated_at timestamp not null
);
create index account_user_id_idx on account(user_id);
create table verification (
  id text primary key, identifier text not null, value text not null,
  expires_at timestamp not null,
  created_at timestamp not null default now(), updated_at timestamp not null default now()
);
create index verification_identifier_idx on verification(identifier);
