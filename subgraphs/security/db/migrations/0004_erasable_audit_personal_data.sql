CREATE TABLE "security"."erased_subjects" (
	"subject_id" uuid PRIMARY KEY NOT NULL,
	"erased_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "security"."audit_events" ADD COLUMN "hash_version" smallint DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "security"."audit_events" ADD COLUMN "personal_digest" text;--> statement-breakpoint
ALTER TABLE "security"."audit_events" ADD COLUMN "personal_salt" text;--> statement-breakpoint
ALTER TABLE "security"."audit_events" ADD COLUMN "erased_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "audit_events_resource_idx" ON "security"."audit_events" USING btree ("resource_id","seq");--> statement-breakpoint
-- Audit rows stay append-only, with one exception: a record in hash format 2 may have its personal fields
-- (ip, user agent, metadata) and their salt erased, once. Every other column, the digest and the hashes
-- included, must stay as it was, so the chain still verifies and the erasure cannot rewrite anything else.
CREATE OR REPLACE FUNCTION "security"."audit_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.hash_version = 2 AND OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL
     AND NEW.ip IS NULL AND NEW.user_agent IS NULL AND NEW.metadata IS NULL AND NEW.personal_salt IS NULL
     AND (NEW.seq, NEW.id, NEW.occurred_at, NEW.received_at, NEW.service, NEW.action, NEW.outcome, NEW.actor_id,
          NEW.resource_type, NEW.resource_id, NEW.request_id, NEW.prev_hash, NEW.hash, NEW.hash_version, NEW.personal_digest)
         IS NOT DISTINCT FROM
         (OLD.seq, OLD.id, OLD.occurred_at, OLD.received_at, OLD.service, OLD.action, OLD.outcome, OLD.actor_id,
          OLD.resource_type, OLD.resource_id, OLD.request_id, OLD.prev_hash, OLD.hash, OLD.hash_version, OLD.personal_digest)
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit events are append-only';
END;
$$;
--> statement-breakpoint
-- The owner may update only the erasable columns (the trigger narrows it further); the service role gets no
-- UPDATE at all, only this function, which erases one subject's records and nothing else.
DO $$ BEGIN EXECUTE format('GRANT UPDATE (ip, user_agent, metadata, personal_salt, erased_at) ON "security"."audit_events" TO %I', current_user); END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "security"."erase_audit_subject"(subject uuid) RETURNS integer
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  WITH erased AS (
    UPDATE "security"."audit_events"
       SET ip = NULL, user_agent = NULL, metadata = NULL, personal_salt = NULL, erased_at = now()
     WHERE hash_version = 2 AND erased_at IS NULL AND (actor_id = subject OR resource_id = subject::text)
    RETURNING 1
  )
  SELECT count(*)::integer FROM erased;
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION "security"."erase_audit_subject"(uuid) FROM PUBLIC;
--> statement-breakpoint
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'palisade_security_service') THEN
    GRANT EXECUTE ON FUNCTION "security"."erase_audit_subject"(uuid) TO palisade_security_service;
  END IF;
END $$;
