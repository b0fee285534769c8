ALTER TABLE "tier_change" DROP CONSTRAINT "tier_change_changed_by_user_id_fk";
