CREATE SCHEMA IF NOT EXISTS "security";
--> statement-breakpoint
CREATE TABLE "security"."audit_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" uuid NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"service" text NOT NULL,
	"action" text NOT NULL,
	"outcome" text NOT NULL,
	"actor_id" uuid,
	"resource_type" text,
	"resource_id" text,
	"request_id" text,
	"ip" text,
	"user_agent" text,
	"metadata" jsonb,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "security"."security_alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"type" text NOT NULL,
	"severity" text NOT NULL,
	"description" text NOT NULL,
	"source_ip" text,
	"user_id" uuid,
	"dedup_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" uuid
);
--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_id_key" ON "security"."audit_events" USING btree ("id");--> statement-breakpoint
CREATE INDEX "audit_events_occurred_idx" ON "security"."audit_events" USING btree ("occurred_at");--> statement-breakpoint
CREATE INDEX "audit_events_action_idx" ON "security"."audit_events" USING btree ("action","seq");--> statement-breakpoint
CREATE INDEX "audit_events_actor_idx" ON "security"."audit_events" USING btree ("actor_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "security_alerts_dedup_key" ON "security"."security_alerts" USING btree ("dedup_key");--> statement-breakpoint
CREATE INDEX "security_alerts_created_idx" ON "security"."security_alerts" USING btree ("created_at","id");--> statement-breakpoint
CREATE FUNCTION "security"."audit_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_events_no_update_delete" BEFORE UPDATE OR DELETE ON "security"."audit_events"
  FOR EACH ROW EXECUTE FUNCTION "security"."audit_events_append_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_events_no_truncate" BEFORE TRUNCATE ON "security"."audit_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "security"."audit_events_append_only"();
