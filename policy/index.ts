// CrossGuard entry point: `pulumi preview --policy-pack policy --policy-pack-config policy/config/<stack>.json`.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("inference-platform", { policies });
