package configfile

// Documents as RocketMQ brokers write them (fastjson PrettyFormat: tabs,
// sorted fields, unquoted integer keys, the closing brace of an
// integer-keyed map on its own line). Used by the codec tests and as fuzz
// seeds.

// topics4x is topics.json of a 4.x broker: no stateVersion, no attributes.
const topics4x = "{\n" +
	"\t\"dataVersion\":{\n" +
	"\t\t\"counter\":2,\n" +
	"\t\t\"timestamp\":1700000000000\n" +
	"\t},\n" +
	"\t\"topicConfigTable\":{\n" +
	"\t\t\"SCHEDULE_TOPIC_XXXX\":{\n" +
	"\t\t\t\"order\":false,\n" +
	"\t\t\t\"perm\":6,\n" +
	"\t\t\t\"readQueueNums\":18,\n" +
	"\t\t\t\"topicFilterType\":\"SINGLE_TAG\",\n" +
	"\t\t\t\"topicName\":\"SCHEDULE_TOPIC_XXXX\",\n" +
	"\t\t\t\"topicSysFlag\":0,\n" +
	"\t\t\t\"writeQueueNums\":18\n" +
	"\t\t},\n" +
	"\t\t\"TBW102\":{\n" +
	"\t\t\t\"order\":false,\n" +
	"\t\t\t\"perm\":7,\n" +
	"\t\t\t\"readQueueNums\":8,\n" +
	"\t\t\t\"topicFilterType\":\"SINGLE_TAG\",\n" +
	"\t\t\t\"topicName\":\"TBW102\",\n" +
	"\t\t\t\"topicSysFlag\":0,\n" +
	"\t\t\t\"writeQueueNums\":8\n" +
	"\t\t}\n" +
	"\t}\n" +
	"}"

// topics5x is topics.json of a 5.x broker, in exactly the form the writer
// produces.
const topics5x = "{\n" +
	"\t\"dataVersion\":{\n" +
	"\t\t\"counter\":5,\n" +
	"\t\t\"stateVersion\":3,\n" +
	"\t\t\"timestamp\":1700000000123\n" +
	"\t},\n" +
	"\t\"topicConfigTable\":{\n" +
	"\t\t\"OrderTopic\":{\n" +
	"\t\t\t\"attributes\":{\n" +
	"\t\t\t\t\"message.type\":\"FIFO\"\n" +
	"\t\t\t},\n" +
	"\t\t\t\"order\":true,\n" +
	"\t\t\t\"perm\":6,\n" +
	"\t\t\t\"readQueueNums\":4,\n" +
	"\t\t\t\"topicFilterType\":\"MULTI_TAG\",\n" +
	"\t\t\t\"topicName\":\"OrderTopic\",\n" +
	"\t\t\t\"topicSysFlag\":1,\n" +
	"\t\t\t\"writeQueueNums\":4\n" +
	"\t\t},\n" +
	"\t\t\"RMQ_SYS_TRANS_HALF_TOPIC\":{\n" +
	"\t\t\t\"attributes\":{},\n" +
	"\t\t\t\"order\":false,\n" +
	"\t\t\t\"perm\":6,\n" +
	"\t\t\t\"readQueueNums\":1,\n" +
	"\t\t\t\"topicFilterType\":\"SINGLE_TAG\",\n" +
	"\t\t\t\"topicName\":\"RMQ_SYS_TRANS_HALF_TOPIC\",\n" +
	"\t\t\t\"topicSysFlag\":0,\n" +
	"\t\t\t\"writeQueueNums\":1\n" +
	"\t\t}\n" +
	"\t}\n" +
	"}"

// consumerOffset4x is consumerOffset.json of a 4.x broker: no dataVersion.
// It is also exactly what the writer produces for the same table.
const consumerOffset4x = "{\n" +
	"\t\"offsetTable\":{\n" +
	"\t\t\"%RETRY%please_rename_unique_group_name_4@please_rename_unique_group_name_4\":{0:0\n" +
	"\t\t},\n" +
	"\t\t\"TopicTest@please_rename_unique_group_name_4\":{0:250,1:248,2:249,3:250\n" +
	"\t\t}\n" +
	"\t}\n" +
	"}"

// consumerOffset5x is consumerOffset.json of a 5.x broker, with the derived
// groupTopicMap and the lmqOffsetTable that Java writes from getters.
const consumerOffset5x = "{\n" +
	"\t\"dataVersion\":{\n" +
	"\t\t\"counter\":1448,\n" +
	"\t\t\"stateVersion\":0,\n" +
	"\t\t\"timestamp\":1736661762584\n" +
	"\t},\n" +
	"\t\"groupTopicMap\":{\n" +
	"\t\t\"push_test\":[\"%RETRY%push_test\",\"test\"]\n" +
	"\t},\n" +
	"\t\"lmqOffsetTable\":{},\n" +
	"\t\"offsetTable\":{\n" +
	"\t\t\"%RETRY%push_test@push_test\":{0:0\n" +
	"\t\t},\n" +
	"\t\t\"test@push_test\":{0:165243,1:165245,2:165243,3:165242\n" +
	"\t\t}\n" +
	"\t}\n" +
	"}"

// subscriptionGroup4x is subscriptionGroup.json of a 4.x broker.
const subscriptionGroup4x = "{\n" +
	"\t\"dataVersion\":{\n" +
	"\t\t\"counter\":1,\n" +
	"\t\t\"timestamp\":1700000000000\n" +
	"\t},\n" +
	"\t\"subscriptionGroupTable\":{\n" +
	"\t\t\"SELF_TEST_C_GROUP\":{\n" +
	"\t\t\t\"brokerId\":0,\n" +
	"\t\t\t\"consumeBroadcastEnable\":true,\n" +
	"\t\t\t\"consumeEnable\":true,\n" +
	"\t\t\t\"consumeFromMinEnable\":true,\n" +
	"\t\t\t\"consumeMessageOrderly\":false,\n" +
	"\t\t\t\"consumeTimeoutMinute\":15,\n" +
	"\t\t\t\"groupName\":\"SELF_TEST_C_GROUP\",\n" +
	"\t\t\t\"groupSysFlag\":0,\n" +
	"\t\t\t\"notifyConsumerIdsChangedEnable\":true,\n" +
	"\t\t\t\"retryMaxTimes\":16,\n" +
	"\t\t\t\"retryQueueNums\":1,\n" +
	"\t\t\t\"whichBrokerWhenConsumeSlowly\":1\n" +
	"\t\t}\n" +
	"\t}\n" +
	"}"

// subscriptionGroup5x is subscriptionGroup.json of a 5.x broker, with the
// fields this package keeps in Extra.
const subscriptionGroup5x = "{\n" +
	"\t\"dataVersion\":{\n" +
	"\t\t\"counter\":7,\n" +
	"\t\t\"stateVersion\":2,\n" +
	"\t\t\"timestamp\":1700000000456\n" +
	"\t},\n" +
	"\t\"forbiddenTable\":{\n" +
	"\t\t\"slowGroup\":{\n" +
	"\t\t\t\"TopicTest\":4\n" +
	"\t\t}\n" +
	"\t},\n" +
	"\t\"subscriptionGroupTable\":{\n" +
	"\t\t\"orderGroup\":{\n" +
	"\t\t\t\"attributes\":{},\n" +
	"\t\t\t\"brokerId\":0,\n" +
	"\t\t\t\"consumeBroadcastEnable\":false,\n" +
	"\t\t\t\"consumeEnable\":true,\n" +
	"\t\t\t\"consumeFromMinEnable\":false,\n" +
	"\t\t\t\"consumeMessageOrderly\":true,\n" +
	"\t\t\t\"consumeTimeoutMinute\":30,\n" +
	"\t\t\t\"groupName\":\"orderGroup\",\n" +
	"\t\t\t\"groupRetryPolicy\":{\n" +
	"\t\t\t\t\"type\":\"CUSTOMIZED\"\n" +
	"\t\t\t},\n" +
	"\t\t\t\"groupSysFlag\":0,\n" +
	"\t\t\t\"notifyConsumerIdsChangedEnable\":true,\n" +
	"\t\t\t\"retryMaxTimes\":3,\n" +
	"\t\t\t\"retryQueueNums\":2,\n" +
	"\t\t\t\"subscriptionDataSet\":[{\"expressionType\":\"TAG\",\"subString\":\"*\",\"topic\":\"TopicTest\"}],\n" +
	"\t\t\t\"whichBrokerWhenConsumeSlowly\":1\n" +
	"\t\t}\n" +
	"\t}\n" +
	"}"

// delayOffset4x is delayOffset.json of a 4.x broker: no dataVersion.
const delayOffset4x = "{\n" +
	"\t\"offsetTable\":{1:35,2:0,3:12,18:1\n" +
	"\t}\n" +
	"}"

// delayOffset5x is delayOffset.json of a 5.x broker.
const delayOffset5x = "{\n" +
	"\t\"dataVersion\":{\n" +
	"\t\t\"counter\":9,\n" +
	"\t\t\"stateVersion\":0,\n" +
	"\t\t\"timestamp\":1700000000789\n" +
	"\t},\n" +
	"\t\"offsetTable\":{1:35,2:0,3:12,18:1\n" +
	"\t}\n" +
	"}"
