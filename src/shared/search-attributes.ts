/**
 * Custom search attributes of a patch workflow, so `temporal workflow list --query
 * 'DcosCluster="prod-east" AND DcosPatchPhase="agents"'` finds patches by cluster and state.
 * The dev-server scripts register the same names (scripts/search-attributes.sh).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DcosCluster = defineSearchAttributeKey('DcosCluster', SearchAttributeType.KEYWORD);
export const DcosFromVersion = defineSearchAttributeKey('DcosFromVersion', SearchAttributeType.KEYWORD);
export const DcosToVersion = defineSearchAttributeKey('DcosToVersion', SearchAttributeType.KEYWORD);
export const DcosPatchPhase = defineSearchAttributeKey('DcosPatchPhase', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [DcosCluster, DcosFromVersion, DcosToVersion, DcosPatchPhase];
