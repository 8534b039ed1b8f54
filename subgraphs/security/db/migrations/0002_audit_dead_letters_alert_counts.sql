CREATE TABLE "security"."audit_dead_letters" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"record_id" text,
	"sender" text NOT NULL,
	"code" text NOT NULL,
	"reason" text NOT NULL,
	"payload" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "security"."security_alerts" ADD COLUMN "group_key" text;--> statement-breakpoint
ALTER TABLE "security"."security_alerts" ADD COLUMN "count" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "security"."security_alerts" ADD COLUMN "last_seen_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
CREATE INDEX "audit_dead_letters_received_idx" ON "security"."audit_dead_letters" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "security_alerts_group_idx" ON "security"."security_alerts" USING btree ("group_key","last_seen_at");--> statement-breakpoint
UPDATE "security"."security_alerts" SET "last_seen_at" = "created_at";