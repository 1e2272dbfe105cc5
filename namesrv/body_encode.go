package namesrv

// AppendRegisterBodyJSON appends b as a RegisterBrokerBody in the JSON
// encoding, the form a broker sends with compressed=false:
//
//	{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{...},
//	 "topicConfigTable":{"<topic>":{"perm":N,"readQueueNums":N,
//	 "topicFilterType":"SINGLE_TAG","topicName":"<topic>","topicSysFlag":N,
//	 "writeQueueNums":N}}}}
//
// Fields in fastjson's (alphabetical) order, topics in b's order.
func AppendRegisterBodyJSON(dst []byte, b *RegisterBody) []byte {
	dst = append(dst, '{')
	dst = append(appendKey(dst, "filterServerList"), '[', ']', ',')
	dst = append(appendKey(dst, "topicConfigSerializeWrapper"), '{')
	dst = AppendDataVersionJSON(appendKey(dst, "dataVersion"), b.DataVersion)
	dst = append(dst, ',')
	dst = append(appendKey(dst, "topicConfigTable"), '{')
	for i := range b.Topics {
		tc := &b.Topics[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(appendString(dst, tc.TopicName), ':', '{')
		dst = appendIntField(dst, "perm", int64(tc.Perm))
		dst = append(dst, ',')
		dst = appendIntField(dst, "readQueueNums", int64(tc.ReadQueueNums))
		dst = append(dst, ',')
		dst = append(appendKey(dst, "topicFilterType"), `"SINGLE_TAG",`...)
		dst = appendString(appendKey(dst, "topicName"), tc.TopicName)
		dst = append(dst, ',')
		dst = appendIntField(dst, "topicSysFlag", int64(tc.TopicSysFlag))
		dst = append(dst, ',')
		dst = appendIntField(dst, "writeQueueNums", int64(tc.WriteQueueNums))
		dst = append(dst, '}')
	}
	return append(dst, '}', '}', '}')
}
