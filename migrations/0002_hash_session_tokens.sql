-- Session tokens are stored as SHA-256 hex (src/auth/session-tokens.ts hashes
-- every write and lookup). Hash the rows issued before that, so sessions
-- already in use keep working: their cookies carry the raw token, whose hash
-- is now what a lookup asks for. Rows that already hold a hash (64 lowercase
-- hex; issued tokens are 32 alphanumerics) are left as they are.
UPDATE "session" SET "token" = encode(sha256(convert_to("token", 'UTF8')), 'hex') WHERE "token" !~ '^[0-9a-f]{64}$';
