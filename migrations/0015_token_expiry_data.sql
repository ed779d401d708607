-- Tokens issued before tokens had an expiry: each gets the default lifetime of its kind from the
-- time of this migration (staff 90 days, ward devices 365 days, a generated platform-admin token
-- 30 days), so none stops working on the day of the upgrade and none lives for ever. The
-- configured BOOTSTRAP_ADMIN_TOKEN keeps no expiry: it lives as long as it is configured.
UPDATE "api_tokens" SET "expires_at" = now() + interval '90 days'
 WHERE "kind" = 'staff' AND "expires_at" IS NULL AND "revoked_at" IS NULL;--> statement-breakpoint
UPDATE "api_tokens" SET "expires_at" = now() + interval '365 days'
 WHERE "kind" = 'ward_device' AND "expires_at" IS NULL AND "revoked_at" IS NULL;--> statement-breakpoint
UPDATE "api_tokens" SET "expires_at" = now() + interval '30 days'
 WHERE "kind" = 'platform_admin' AND "label" IS DISTINCT FROM 'bootstrap (BOOTSTRAP_ADMIN_TOKEN)'
   AND "expires_at" IS NULL AND "revoked_at" IS NULL;
